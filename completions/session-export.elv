
use builtin;
use str;

set edit:completion:arg-completer[session-export] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'session-export'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'session-export'= {
            cand --data-dir 'opencode''s data dir [default: $XDG_DATA_HOME/opencode, else ~/.local/share/opencode]'
            cand --db 'opencode''s database [default: $OPENCODE_DB resolved against the data dir, else <data dir>/opencode.db]'
            cand --prices 'List prices that beat the shipped table: a TOML or JSON file of `provider/model` -> input, output, cache_read, cache_write (USD per million tokens) [default: `prices` in the config file]'
            cand -q 'Print no summary; only warnings and errors'
            cand --quiet 'Print no summary; only warnings and errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand export 'Send session documents to the local SQLite file, or to Convex when one is configured'
            cand dry-run 'Print the documents `export` would send; send nothing, change no state'
            cand list 'List sessions, newest first, with their todos, cost, model and export state'
            cand report 'Cost, tokens, messages and sessions per day, week, month, project, model, agent, session or device; tool calls per tool'
            cand prices 'The list prices a model''s usage is valued at, and where each came from'
            cand completions 'Print a shell completion script (also checked in under completions/)'
            cand man 'Print the man page, in roff (also checked in as completions/session-export.1)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'session-export;export'= {
            cand --since 'Only sessions updated since WHEN: a duration back from now (36h, 7d, 2w), a date (2026-11-01, local time) or a timestamp (2026-11-01T12:00:00Z)'
            cand --project 'Only sessions of this project: an opencode project id, or a directory (sessions run in it or below it)'
            cand --abandoned-after 'Treat a session with open todos as ended once it has not changed for this long (crash, closed terminal), e.g. 12h or 7d [default: never]'
            cand --convex-url 'Convex deployment URL (https://<name>.convex.cloud) [env: SESSION_EXPORT_CONVEX_URL]'
            cand --data-dir 'opencode''s data dir [default: $XDG_DATA_HOME/opencode, else ~/.local/share/opencode]'
            cand --db 'opencode''s database [default: $OPENCODE_DB resolved against the data dir, else <data dir>/opencode.db]'
            cand --prices 'List prices that beat the shipped table: a TOML or JSON file of `provider/model` -> input, output, cache_read, cache_write (USD per million tokens) [default: `prices` in the config file]'
            cand --timeout 'Give up on an HTTP request after this long, e.g. 30s [default: 30s]'
            cand --all-complete 'Every top-level session whose todos are all completed or cancelled (or that has none) and that changed since it was last exported'
            cand --if-complete 'Only those of the given sessions that --all-complete would pick (for the opencode plugin)'
            cand --force 'Send even sessions the ledger says are already exported and unchanged'
            cand --include-subagents 'Also take subagent (child) sessions on their own, with the state they would have alone'
            cand --include-messages 'Include the full transcript with parts as `messagesJson`, and the title (well-known secret formats are masked)'
            cand --no-include-messages 'Leave the transcript out [default]'
            cand --include-todos 'Include the todo list as `todosJson` [default]'
            cand --no-include-todos 'Leave the todo list out'
            cand --include-tools 'Include calls, errors and time per tool as `tools` (reads every part of the store: slower)'
            cand --no-include-tools 'Leave the tool calls out [default]'
            cand --hash-paths 'Send a stable hash (sha256:...) instead of the project directory''s path'
            cand --no-hash-paths 'Send the project directory''s path [default]'
            cand -q 'Print no summary; only warnings and errors'
            cand --quiet 'Print no summary; only warnings and errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'session-export;dry-run'= {
            cand --since 'Only sessions updated since WHEN: a duration back from now (36h, 7d, 2w), a date (2026-11-01, local time) or a timestamp (2026-11-01T12:00:00Z)'
            cand --project 'Only sessions of this project: an opencode project id, or a directory (sessions run in it or below it)'
            cand --abandoned-after 'Treat a session with open todos as ended once it has not changed for this long (crash, closed terminal), e.g. 12h or 7d [default: never]'
            cand --convex-url 'Convex deployment URL (https://<name>.convex.cloud) [env: SESSION_EXPORT_CONVEX_URL]'
            cand --data-dir 'opencode''s data dir [default: $XDG_DATA_HOME/opencode, else ~/.local/share/opencode]'
            cand --db 'opencode''s database [default: $OPENCODE_DB resolved against the data dir, else <data dir>/opencode.db]'
            cand --prices 'List prices that beat the shipped table: a TOML or JSON file of `provider/model` -> input, output, cache_read, cache_write (USD per million tokens) [default: `prices` in the config file]'
            cand --all-complete 'Every top-level session whose todos are all completed or cancelled (or that has none) and that changed since it was last exported'
            cand --if-complete 'Only those of the given sessions that --all-complete would pick (for the opencode plugin)'
            cand --force 'Send even sessions the ledger says are already exported and unchanged'
            cand --include-subagents 'Also take subagent (child) sessions on their own, with the state they would have alone'
            cand --include-messages 'Include the full transcript with parts as `messagesJson`, and the title (well-known secret formats are masked)'
            cand --no-include-messages 'Leave the transcript out [default]'
            cand --include-todos 'Include the todo list as `todosJson` [default]'
            cand --no-include-todos 'Leave the todo list out'
            cand --include-tools 'Include calls, errors and time per tool as `tools` (reads every part of the store: slower)'
            cand --no-include-tools 'Leave the tool calls out [default]'
            cand --hash-paths 'Send a stable hash (sha256:...) instead of the project directory''s path'
            cand --no-hash-paths 'Send the project directory''s path [default]'
            cand -q 'Print no summary; only warnings and errors'
            cand --quiet 'Print no summary; only warnings and errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'session-export;list'= {
            cand -n 'Show at most N sessions, the most recently updated; 0 shows all [default: 20 for the table, all with --json or --ids]'
            cand --limit 'Show at most N sessions, the most recently updated; 0 shows all [default: 20 for the table, all with --json or --ids]'
            cand --since 'Only sessions updated since WHEN: a duration back from now (36h, 7d, 2w), a date (2026-11-01, local time) or a timestamp (2026-11-01T12:00:00Z)'
            cand --project 'Only sessions of this project: an opencode project id, or a directory (sessions run in it or below it)'
            cand --abandoned-after 'Treat a session with open todos as ended once it has not changed for this long (crash, closed terminal), e.g. 12h or 7d [default: never]'
            cand --convex-url 'Convex deployment URL (https://<name>.convex.cloud) [env: SESSION_EXPORT_CONVEX_URL]'
            cand --data-dir 'opencode''s data dir [default: $XDG_DATA_HOME/opencode, else ~/.local/share/opencode]'
            cand --db 'opencode''s database [default: $OPENCODE_DB resolved against the data dir, else <data dir>/opencode.db]'
            cand --prices 'List prices that beat the shipped table: a TOML or JSON file of `provider/model` -> input, output, cache_read, cache_write (USD per million tokens) [default: `prices` in the config file]'
            cand --json 'JSON Lines: one object per session'
            cand --ids 'Only the session ids, one per line, newest first (`list --ids -n 1`: the latest)'
            cand --include-subagents 'Also take subagent (child) sessions on their own, with the state they would have alone'
            cand -q 'Print no summary; only warnings and errors'
            cand --quiet 'Print no summary; only warnings and errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'session-export;report'= {
            cand --by 'What one row is'
            cand --project 'Only sessions of this project: an opencode project id, or a directory (sessions run in it or below it)'
            cand --until 'Only messages created before WHEN (same forms as --since)'
            cand --tz 'Days, weeks and months in this time zone instead of local time: an IANA name such as Europe/Berlin or America/New_York; dates given to --since and --until are read in it too'
            cand --last 'Only the last N days, weeks or months (with --by day, week or month), the current one included, counted in the report''s time zone'
            cand --html 'Write one self-contained HTML page with charts to FILE (`-`: to stdout)'
            cand --convex-url 'Convex deployment URL (https://<name>.convex.cloud) [env: SESSION_EXPORT_CONVEX_URL]'
            cand --timeout 'Give up on an HTTP request after this long, e.g. 30s [default: 30s]'
            cand --data-dir 'opencode''s data dir [default: $XDG_DATA_HOME/opencode, else ~/.local/share/opencode]'
            cand --db 'opencode''s database [default: $OPENCODE_DB resolved against the data dir, else <data dir>/opencode.db]'
            cand --prices 'List prices that beat the shipped table: a TOML or JSON file of `provider/model` -> input, output, cache_read, cache_write (USD per million tokens) [default: `prices` in the config file]'
            cand --since 'Only messages created at or after WHEN: a duration back from now (36h, 7d, 2w), a date (2026-11-01, local time) or a timestamp (2026-11-01T12:00:00Z)'
            cand --utc 'Days, weeks and months in UTC instead of local time (the same as --tz UTC)'
            cand --json 'JSON Lines: one object per row'
            cand --csv 'CSV with a header line'
            cand --convex 'The team report: every exporter''s sessions, from the Convex deployment''s aggregates (--convex-url or $SESSION_EXPORT_CONVEX_URL, and $SESSION_EXPORT_TOKEN, or the config file); days in UTC'
            cand -q 'Print no summary; only warnings and errors'
            cand --quiet 'Print no summary; only warnings and errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'session-export;prices'= {
            cand --data-dir 'opencode''s data dir [default: $XDG_DATA_HOME/opencode, else ~/.local/share/opencode]'
            cand --db 'opencode''s database [default: $OPENCODE_DB resolved against the data dir, else <data dir>/opencode.db]'
            cand --prices 'List prices that beat the shipped table: a TOML or JSON file of `provider/model` -> input, output, cache_read, cache_write (USD per million tokens) [default: `prices` in the config file]'
            cand --info 'Print where the shipped table came from and when it was taken'
            cand -q 'Print no summary; only warnings and errors'
            cand --quiet 'Print no summary; only warnings and errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'session-export;completions'= {
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'session-export;man'= {
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'session-export;help'= {
            cand export 'Send session documents to the local SQLite file, or to Convex when one is configured'
            cand dry-run 'Print the documents `export` would send; send nothing, change no state'
            cand list 'List sessions, newest first, with their todos, cost, model and export state'
            cand report 'Cost, tokens, messages and sessions per day, week, month, project, model, agent, session or device; tool calls per tool'
            cand prices 'The list prices a model''s usage is valued at, and where each came from'
            cand completions 'Print a shell completion script (also checked in under completions/)'
            cand man 'Print the man page, in roff (also checked in as completions/session-export.1)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'session-export;help;export'= {
        }
        &'session-export;help;dry-run'= {
        }
        &'session-export;help;list'= {
        }
        &'session-export;help;report'= {
        }
        &'session-export;help;prices'= {
        }
        &'session-export;help;completions'= {
        }
        &'session-export;help;man'= {
        }
        &'session-export;help;help'= {
        }
    ]
    $completions[$command]
}
