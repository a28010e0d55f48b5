//! What one row of a report is, and everything that follows from it: the
//! rest of the program asks these methods instead of matching on the
//! variants, so a new dimension is this enum plus the code in
//! [`super::group`] that computes its key.

/// What one row of a report is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum By {
    Day,
    Week,
    Month,
    Project,
    Model,
    Agent,
    Session,
    Device,
    /// Tool calls per tool, from the sessions' parts.
    Tool,
}

impl By {
    /// What a row is called in headers: `Day`, `Model`.
    pub fn name(self) -> &'static str {
        match self {
            By::Day => "Day",
            By::Week => "Week",
            By::Month => "Month",
            By::Project => "Project",
            By::Model => "Model",
            By::Agent => "Agent",
            By::Session => "Session",
            By::Device => "Device",
            By::Tool => "Tool",
        }
    }

    /// The name a Convex deployment's `sessions:report` takes (and
    /// `--by` spells): `day`, `model`.
    pub fn wire(self) -> &'static str {
        match self {
            By::Day => "day",
            By::Week => "week",
            By::Month => "month",
            By::Project => "project",
            By::Model => "model",
            By::Agent => "agent",
            By::Session => "session",
            By::Device => "device",
            By::Tool => "tool",
        }
    }

    /// A span of time: rows in time order, each split by model.
    pub fn is_period(self) -> bool {
        self.period().is_some()
    }

    /// The span of time a row is, for a period.
    pub fn period(self) -> Option<jiff::Unit> {
        match self {
            By::Day => Some(jiff::Unit::Day),
            By::Week => Some(jiff::Unit::Week),
            By::Month => Some(jiff::Unit::Month),
            _ => None,
        }
    }

    /// Whether a Convex deployment keeps totals by this.
    pub fn on_team_report(self) -> bool {
        !matches!(self, By::Agent | By::Session | By::Tool)
    }

    /// Rows count assistant messages (replies) only, each under its own
    /// model.
    pub fn replies_only(self) -> bool {
        self == By::Model
    }

    /// The header of the messages column.
    pub fn messages_header(self) -> &'static str {
        if self.replies_only() {
            "Replies"
        } else {
            "Messages"
        }
    }

    /// Whether a row's label (a session's title, a machine's host name)
    /// names it better than its key, which then goes beside it.
    pub fn has_label(self) -> bool {
        matches!(self, By::Session | By::Device)
    }

    /// The header of the key beside a label.
    pub fn key_header(self) -> &'static str {
        if self == By::Device {
            "Device id"
        } else {
            "Id"
        }
    }

    /// Whether each message is in exactly one row, so that the rows'
    /// sessions add up to the sessions total. A session with several
    /// models or agents is counted once in each of their rows.
    pub fn sessions_add_up(self) -> bool {
        !matches!(self, By::Model | By::Agent | By::Tool)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    #[test]
    fn the_wire_name_is_the_flag_value_and_the_lowercase_header() {
        for by in By::value_variants() {
            let flag = by.to_possible_value().unwrap();
            assert_eq!(flag.get_name(), by.wire());
            assert_eq!(by.name().to_lowercase(), by.wire());
        }
    }
}
