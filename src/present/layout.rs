//! Fitting a table's columns to a line: which columns give way on a narrow
//! terminal and how wide the others are. `list` and the report's table
//! both lay out with [`fit`]; each draws its own borders.

/// A column as the layout sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// Its widest cell, the header's included.
    pub natural: usize,
    /// Which columns stay on a narrow line: lower stays longer.
    pub priority: u8,
    /// What it asks for when the columns are placed by priority. Less than
    /// `natural`: it is cut (with `…`) to that, and shares what is left of
    /// the line, up to `natural`.
    pub claim: usize,
    /// Shown however narrow the line, instead of giving way: cut to what is
    /// left, but no narrower than this (`natural` for one never cut).
    pub kept: Option<usize>,
}

impl Column {
    /// Shown whole or not at all.
    pub fn whole(natural: usize, priority: u8) -> Column {
        Column {
            natural,
            priority,
            claim: natural,
            kept: None,
        }
    }
}

/// What a line spends besides the cells: `outer` for the first column
/// shown (with the table's own edges) and `gap` for each one after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    pub outer: usize,
    pub gap: usize,
}

/// Each column's width in a line of `width`, None for a column that gives
/// way. By priority, each column gets its claim; the first that does not
/// fit and every column after it give way, but for kept ones, which get
/// what is left (at least their least width). What is left then goes to
/// the columns below their natural width, a character at a time, up to it.
pub fn fit(columns: &[Column], frame: Frame, width: usize) -> Vec<Option<usize>> {
    let mut widths: Vec<Option<usize>> = vec![None; columns.len()];
    let mut by_priority: Vec<usize> = (0..columns.len()).collect();
    by_priority.sort_by_key(|&i| columns[i].priority);
    let mut used = 0;
    let mut placed = false;
    let mut full = false;
    for i in by_priority {
        let c = &columns[i];
        let sep = if placed { frame.gap } else { frame.outer };
        let w = if !full && used + c.claim + sep <= width {
            c.claim
        } else {
            full = true;
            match c.kept {
                Some(least) => width.saturating_sub(used + sep).max(least),
                None => continue,
            }
        };
        used += w + sep;
        placed = true;
        widths[i] = Some(w);
    }
    let mut left = width.saturating_sub(used);
    while left > 0 {
        let mut grew = false;
        for (i, w) in widths.iter_mut().enumerate() {
            if let Some(w) = w
                && *w < columns[i].natural
                && left > 0
            {
                *w += 1;
                left -= 1;
                grew = true;
            }
        }
        if !grew {
            break;
        }
    }
    widths
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRAME: Frame = Frame { outer: 0, gap: 1 };

    #[test]
    fn the_first_column_that_does_not_fit_and_all_after_it_give_way() {
        let columns = [
            Column::whole(10, 0),
            Column::whole(5, 2),
            Column::whole(20, 1),
        ];
        assert_eq!(fit(&columns, FRAME, 37), [Some(10), Some(5), Some(20)]);
        // The 5 would fit after the 10, but the 20 before it did not.
        assert_eq!(fit(&columns, FRAME, 30), [Some(10), None, None]);
        assert_eq!(fit(&columns, FRAME, 9), [None, None, None]);
    }

    #[test]
    fn a_kept_column_is_cut_to_what_is_left_but_no_narrower_than_its_least() {
        let name = Column {
            kept: Some(4),
            ..Column::whole(30, 1)
        };
        let columns = [Column::whole(10, 0), name, Column::whole(3, 2)];
        assert_eq!(fit(&columns, FRAME, 45), [Some(10), Some(30), Some(3)]);
        // Too narrow for the whole name: it is cut, and what follows it goes.
        assert_eq!(fit(&columns, FRAME, 25), [Some(10), Some(14), None]);
        assert_eq!(fit(&columns, FRAME, 12), [Some(10), Some(4), None]);
    }

    #[test]
    fn what_is_left_widens_the_columns_that_claimed_less() {
        let flexible = |natural, priority| Column {
            claim: 3,
            ..Column::whole(natural, priority)
        };
        let columns = [flexible(10, 1), Column::whole(4, 0), flexible(5, 2)];
        // 3 + 4 + 3 and two gaps leave 2: one each, in column order.
        assert_eq!(fit(&columns, FRAME, 14), [Some(4), Some(4), Some(4)]);
        assert_eq!(fit(&columns, FRAME, 40), [Some(10), Some(4), Some(5)]);
    }
}
