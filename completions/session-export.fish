# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_session_export_global_optspecs
    string join \n data-dir= db= q/quiet prices= h/help V/version
end

function __fish_session_export_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_session_export_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_session_export_using_subcommand
    set -l cmd (__fish_session_export_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c session-export -n "__fish_session_export_needs_command" -l data-dir -d 'opencode\'s data dir [default: $XDG_DATA_HOME/opencode, else ~/.local/share/opencode]' -r -F
complete -c session-export -n "__fish_session_export_needs_command" -l db -d 'opencode\'s database [default: $OPENCODE_DB resolved against the data dir, else <data dir>/opencode.db]' -r -F
complete -c session-export -n "__fish_session_export_needs_command" -l prices -d 'List prices that beat the shipped table: a TOML or JSON file of `provider/model` -> input, output, cache_read, cache_write (USD per million tokens) [default: `prices` in the config file]' -r -F
complete -c session-export -n "__fish_session_export_needs_command" -s q -l quiet -d 'Print no summary; only warnings and errors'
complete -c session-export -n "__fish_session_export_needs_command" -s h -l help -d 'Print help'
complete -c session-export -n "__fish_session_export_needs_command" -s V -l version -d 'Print version'
complete -c session-export -n "__fish_session_export_needs_command" -f -a "export" -d 'Send session documents to the local SQLite file, or to Convex when one is configured'
complete -c session-export -n "__fish_session_export_needs_command" -f -a "dry-run" -d 'Print the documents `export` would send; send nothing, change no state'
complete -c session-export -n "__fish_session_export_needs_command" -f -a "list" -d 'List sessions, newest first, with their todos, cost, model and export state'
complete -c session-export -n "__fish_session_export_needs_command" -f -a "report" -d 'Cost, tokens, messages and sessions per day, week, month, project, model, agent, session or device; tool calls per tool'
complete -c session-export -n "__fish_session_export_needs_command" -f -a "prices" -d 'The list prices a model\'s usage is valued at, and where each came from'
complete -c session-export -n "__fish_session_export_needs_command" -f -a "completions" -d 'Print a shell completion script (also checked in under completions/)'
complete -c session-export -n "__fish_session_export_needs_command" -f -a "man" -d 'Print the man page, in roff (also checked in as completions/session-export.1)'
complete -c session-export -n "__fish_session_export_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c session-export -n "__fish_session_export_using_subcommand export" -l since -d 'Only sessions updated since WHEN: a duration back from now (36h, 7d, 2w), a date (2026-11-01, local time) or a timestamp (2026-11-01T12:00:00Z)' -r
complete -c session-export -n "__fish_session_export_using_subcommand export" -l project -d 'Only sessions of this project: an opencode project id, or a directory (sessions run in it or below it)' -r
complete -c session-export -n "__fish_session_export_using_subcommand export" -l abandoned-after -d 'Treat a session with open todos as ended once it has not changed for this long (crash, closed terminal), e.g. 12h or 7d [default: never]' -r
complete -c session-export -n "__fish_session_export_using_subcommand export" -l convex-url -d 'Convex deployment URL (https://<name>.convex.cloud) [env: SESSION_EXPORT_CONVEX_URL]' -r
complete -c session-export -n "__fish_session_export_using_subcommand export" -l data-dir -d 'opencode\'s data dir [default: $XDG_DATA_HOME/opencode, else ~/.local/share/opencode]' -r -F
complete -c session-export -n "__fish_session_export_using_subcommand export" -l db -d 'opencode\'s database [default: $OPENCODE_DB resolved against the data dir, else <data dir>/opencode.db]' -r -F
complete -c session-export -n "__fish_session_export_using_subcommand export" -l prices -d 'List prices that beat the shipped table: a TOML or JSON file of `provider/model` -> input, output, cache_read, cache_write (USD per million tokens) [default: `prices` in the config file]' -r -F
complete -c session-export -n "__fish_session_export_using_subcommand export" -l timeout -d 'Give up on an HTTP request after this long, e.g. 30s [default: 30s]' -r
complete -c session-export -n "__fish_session_export_using_subcommand export" -l all-complete -d 'Every top-level session whose todos are all completed or cancelled (or that has none) and that changed since it was last exported'
complete -c session-export -n "__fish_session_export_using_subcommand export" -l if-complete -d 'Only those of the given sessions that --all-complete would pick (for the opencode plugin)'
complete -c session-export -n "__fish_session_export_using_subcommand export" -l force -d 'Send even sessions the ledger says are already exported and unchanged'
complete -c session-export -n "__fish_session_export_using_subcommand export" -l include-subagents -d 'Also take subagent (child) sessions on their own, with the state they would have alone'
complete -c session-export -n "__fish_session_export_using_subcommand export" -l include-messages -d 'Include the full transcript with parts as `messagesJson`, and the title (well-known secret formats are masked)'
complete -c session-export -n "__fish_session_export_using_subcommand export" -l no-include-messages -d 'Leave the transcript out [default]'
complete -c session-export -n "__fish_session_export_using_subcommand export" -l include-todos -d 'Include the todo list as `todosJson` [default]'
complete -c session-export -n "__fish_session_export_using_subcommand export" -l no-include-todos -d 'Leave the todo list out'
complete -c session-export -n "__fish_session_export_using_subcommand export" -l include-tools -d 'Include calls, errors and time per tool as `tools` (reads every part of the store: slower)'
complete -c session-export -n "__fish_session_export_using_subcommand export" -l no-include-tools -d 'Leave the tool calls out [default]'
complete -c session-export -n "__fish_session_export_using_subcommand export" -l hash-paths -d 'Send a stable hash (sha256:...) instead of the project directory\'s path'
complete -c session-export -n "__fish_session_export_using_subcommand export" -l no-hash-paths -d 'Send the project directory\'s path [default]'
complete -c session-export -n "__fish_session_export_using_subcommand export" -s q -l quiet -d 'Print no summary; only warnings and errors'
complete -c session-export -n "__fish_session_export_using_subcommand export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c session-export -n "__fish_session_export_using_subcommand dry-run" -l since -d 'Only sessions updated since WHEN: a duration back from now (36h, 7d, 2w), a date (2026-11-01, local time) or a timestamp (2026-11-01T12:00:00Z)' -r
complete -c session-export -n "__fish_session_export_using_subcommand dry-run" -l project -d 'Only sessions of this project: an opencode project id, or a directory (sessions run in it or below it)' -r
complete -c session-export -n "__fish_session_export_using_subcommand dry-run" -l abandoned-after -d 'Treat a session with open todos as ended once it has not changed for this long (crash, closed terminal), e.g. 12h or 7d [default: never]' -r
complete -c session-export -n "__fish_session_export_using_subcommand dry-run" -l convex-url -d 'Convex deployment URL (https://<name>.convex.cloud) [env: SESSION_EXPORT_CONVEX_URL]' -r
complete -c session-export -n "__fish_session_export_using_subcommand dry-run" -l data-dir -d 'opencode\'s data dir [default: $XDG_DATA_HOME/opencode, else ~/.local/share/opencode]' -r -F
complete -c session-export -n "__fish_session_export_using_subcommand dry-run" -l db -d 'opencode\'s database [default: $OPENCODE_DB resolved against the data dir, else <data dir>/opencode.db]' -r -F
complete -c session-export -n "__fish_session_export_using_subcommand dry-run" -l prices -d 'List prices that beat the shipped table: a TOML or JSON file of `provider/model` -> input, output, cache_read, cache_write (USD per million tokens) [default: `prices` in the config file]' -r -F
complete -c session-export -n "__fish_session_export_using_subcommand dry-run" -l all-complete -d 'Every top-level session whose todos are all completed or cancelled (or that has none) and that changed since it was last exported'
complete -c session-export -n "__fish_session_export_using_subcommand dry-run" -l if-complete -d 'Only those of the given sessions that --all-complete would pick (for the opencode plugin)'
complete -c session-export -n "__fish_session_export_using_subcommand dry-run" -l force -d 'Send even sessions the ledger says are already exported and unchanged'
complete -c session-export -n "__fish_session_export_using_subcommand dry-run" -l include-subagents -d 'Also take subagent (child) sessions on their own, with the state they would have alone'
complete -c session-export -n "__fish_session_export_using_subcommand dry-run" -l include-messages -d 'Include the full transcript with parts as `messagesJson`, and the title (well-known secret formats are masked)'
complete -c session-export -n "__fish_session_export_using_subcommand dry-run" -l no-include-messages -d 'Leave the transcript out [default]'
complete -c session-export -n "__fish_session_export_using_subcommand dry-run" -l include-todos -d 'Include the todo list as `todosJson` [default]'
complete -c session-export -n "__fish_session_export_using_subcommand dry-run" -l no-include-todos -d 'Leave the todo list out'
complete -c session-export -n "__fish_session_export_using_subcommand dry-run" -l include-tools -d 'Include calls, errors and time per tool as `tools` (reads every part of the store: slower)'
complete -c session-export -n "__fish_session_export_using_subcommand dry-run" -l no-include-tools -d 'Leave the tool calls out [default]'
complete -c session-export -n "__fish_session_export_using_subcommand dry-run" -l hash-paths -d 'Send a stable hash (sha256:...) instead of the project directory\'s path'
complete -c session-export -n "__fish_session_export_using_subcommand dry-run" -l no-hash-paths -d 'Send the project directory\'s path [default]'
complete -c session-export -n "__fish_session_export_using_subcommand dry-run" -s q -l quiet -d 'Print no summary; only warnings and errors'
complete -c session-export -n "__fish_session_export_using_subcommand dry-run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c session-export -n "__fish_session_export_using_subcommand list" -s n -l limit -d 'Show at most N sessions, the most recently updated; 0 shows all [default: 20 for the table, all with --json or --ids]' -r
complete -c session-export -n "__fish_session_export_using_subcommand list" -l since -d 'Only sessions updated since WHEN: a duration back from now (36h, 7d, 2w), a date (2026-11-01, local time) or a timestamp (2026-11-01T12:00:00Z)' -r
complete -c session-export -n "__fish_session_export_using_subcommand list" -l project -d 'Only sessions of this project: an opencode project id, or a directory (sessions run in it or below it)' -r
complete -c session-export -n "__fish_session_export_using_subcommand list" -l abandoned-after -d 'Treat a session with open todos as ended once it has not changed for this long (crash, closed terminal), e.g. 12h or 7d [default: never]' -r
complete -c session-export -n "__fish_session_export_using_subcommand list" -l convex-url -d 'Convex deployment URL (https://<name>.convex.cloud) [env: SESSION_EXPORT_CONVEX_URL]' -r
complete -c session-export -n "__fish_session_export_using_subcommand list" -l data-dir -d 'opencode\'s data dir [default: $XDG_DATA_HOME/opencode, else ~/.local/share/opencode]' -r -F
complete -c session-export -n "__fish_session_export_using_subcommand list" -l db -d 'opencode\'s database [default: $OPENCODE_DB resolved against the data dir, else <data dir>/opencode.db]' -r -F
complete -c session-export -n "__fish_session_export_using_subcommand list" -l prices -d 'List prices that beat the shipped table: a TOML or JSON file of `provider/model` -> input, output, cache_read, cache_write (USD per million tokens) [default: `prices` in the config file]' -r -F
complete -c session-export -n "__fish_session_export_using_subcommand list" -l json -d 'JSON Lines: one object per session'
complete -c session-export -n "__fish_session_export_using_subcommand list" -l ids -d 'Only the session ids, one per line, newest first (`list --ids -n 1`: the latest)'
complete -c session-export -n "__fish_session_export_using_subcommand list" -l include-subagents -d 'Also take subagent (child) sessions on their own, with the state they would have alone'
complete -c session-export -n "__fish_session_export_using_subcommand list" -s q -l quiet -d 'Print no summary; only warnings and errors'
complete -c session-export -n "__fish_session_export_using_subcommand list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c session-export -n "__fish_session_export_using_subcommand report" -l by -d 'What one row is' -r -f -a "day\t''
week\t''
month\t''
project\t''
model\t''
agent\t''
session\t''
device\t''
tool\t'Tool calls per tool, from the sessions\' parts'"
complete -c session-export -n "__fish_session_export_using_subcommand report" -l project -d 'Only sessions of this project: an opencode project id, or a directory (sessions run in it or below it)' -r
complete -c session-export -n "__fish_session_export_using_subcommand report" -l until -d 'Only messages created before WHEN (same forms as --since)' -r
complete -c session-export -n "__fish_session_export_using_subcommand report" -l tz -d 'Days, weeks and months in this time zone instead of local time: an IANA name such as Europe/Berlin or America/New_York; dates given to --since and --until are read in it too' -r
complete -c session-export -n "__fish_session_export_using_subcommand report" -l last -d 'Only the last N days, weeks or months (with --by day, week or month), the current one included, counted in the report\'s time zone' -r
complete -c session-export -n "__fish_session_export_using_subcommand report" -l html -d 'Write one self-contained HTML page with charts to FILE (`-`: to stdout)' -r -F
complete -c session-export -n "__fish_session_export_using_subcommand report" -l convex-url -d 'Convex deployment URL (https://<name>.convex.cloud) [env: SESSION_EXPORT_CONVEX_URL]' -r
complete -c session-export -n "__fish_session_export_using_subcommand report" -l timeout -d 'Give up on an HTTP request after this long, e.g. 30s [default: 30s]' -r
complete -c session-export -n "__fish_session_export_using_subcommand report" -l data-dir -d 'opencode\'s data dir [default: $XDG_DATA_HOME/opencode, else ~/.local/share/opencode]' -r -F
complete -c session-export -n "__fish_session_export_using_subcommand report" -l db -d 'opencode\'s database [default: $OPENCODE_DB resolved against the data dir, else <data dir>/opencode.db]' -r -F
complete -c session-export -n "__fish_session_export_using_subcommand report" -l prices -d 'List prices that beat the shipped table: a TOML or JSON file of `provider/model` -> input, output, cache_read, cache_write (USD per million tokens) [default: `prices` in the config file]' -r -F
complete -c session-export -n "__fish_session_export_using_subcommand report" -l since -d 'Only messages created at or after WHEN: a duration back from now (36h, 7d, 2w), a date (2026-11-01, local time) or a timestamp (2026-11-01T12:00:00Z)' -r
complete -c session-export -n "__fish_session_export_using_subcommand report" -l utc -d 'Days, weeks and months in UTC instead of local time (the same as --tz UTC)'
complete -c session-export -n "__fish_session_export_using_subcommand report" -l json -d 'JSON Lines: one object per row'
complete -c session-export -n "__fish_session_export_using_subcommand report" -l csv -d 'CSV with a header line'
complete -c session-export -n "__fish_session_export_using_subcommand report" -l convex -d 'The team report: every exporter\'s sessions, from the Convex deployment\'s aggregates (--convex-url or $SESSION_EXPORT_CONVEX_URL, and $SESSION_EXPORT_TOKEN, or the config file); days in UTC'
complete -c session-export -n "__fish_session_export_using_subcommand report" -s q -l quiet -d 'Print no summary; only warnings and errors'
complete -c session-export -n "__fish_session_export_using_subcommand report" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c session-export -n "__fish_session_export_using_subcommand prices" -l data-dir -d 'opencode\'s data dir [default: $XDG_DATA_HOME/opencode, else ~/.local/share/opencode]' -r -F
complete -c session-export -n "__fish_session_export_using_subcommand prices" -l db -d 'opencode\'s database [default: $OPENCODE_DB resolved against the data dir, else <data dir>/opencode.db]' -r -F
complete -c session-export -n "__fish_session_export_using_subcommand prices" -l prices -d 'List prices that beat the shipped table: a TOML or JSON file of `provider/model` -> input, output, cache_read, cache_write (USD per million tokens) [default: `prices` in the config file]' -r -F
complete -c session-export -n "__fish_session_export_using_subcommand prices" -l info -d 'Print where the shipped table came from and when it was taken'
complete -c session-export -n "__fish_session_export_using_subcommand prices" -s q -l quiet -d 'Print no summary; only warnings and errors'
complete -c session-export -n "__fish_session_export_using_subcommand prices" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c session-export -n "__fish_session_export_using_subcommand completions" -s h -l help -d 'Print help'
complete -c session-export -n "__fish_session_export_using_subcommand man" -s h -l help -d 'Print help'
complete -c session-export -n "__fish_session_export_using_subcommand help; and not __fish_seen_subcommand_from export dry-run list report prices completions man help" -f -a "export" -d 'Send session documents to the local SQLite file, or to Convex when one is configured'
complete -c session-export -n "__fish_session_export_using_subcommand help; and not __fish_seen_subcommand_from export dry-run list report prices completions man help" -f -a "dry-run" -d 'Print the documents `export` would send; send nothing, change no state'
complete -c session-export -n "__fish_session_export_using_subcommand help; and not __fish_seen_subcommand_from export dry-run list report prices completions man help" -f -a "list" -d 'List sessions, newest first, with their todos, cost, model and export state'
complete -c session-export -n "__fish_session_export_using_subcommand help; and not __fish_seen_subcommand_from export dry-run list report prices completions man help" -f -a "report" -d 'Cost, tokens, messages and sessions per day, week, month, project, model, agent, session or device; tool calls per tool'
complete -c session-export -n "__fish_session_export_using_subcommand help; and not __fish_seen_subcommand_from export dry-run list report prices completions man help" -f -a "prices" -d 'The list prices a model\'s usage is valued at, and where each came from'
complete -c session-export -n "__fish_session_export_using_subcommand help; and not __fish_seen_subcommand_from export dry-run list report prices completions man help" -f -a "completions" -d 'Print a shell completion script (also checked in under completions/)'
complete -c session-export -n "__fish_session_export_using_subcommand help; and not __fish_seen_subcommand_from export dry-run list report prices completions man help" -f -a "man" -d 'Print the man page, in roff (also checked in as completions/session-export.1)'
complete -c session-export -n "__fish_session_export_using_subcommand help; and not __fish_seen_subcommand_from export dry-run list report prices completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
