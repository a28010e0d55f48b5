
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'session-export' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'session-export'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'session-export' {
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'opencode''s data dir [default: $XDG_DATA_HOME/opencode, else ~/.local/share/opencode]')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'opencode''s database [default: $OPENCODE_DB resolved against the data dir, else <data dir>/opencode.db]')
            [CompletionResult]::new('--prices', '--prices', [CompletionResultType]::ParameterName, 'List prices that beat the shipped table: a TOML or JSON file of `provider/model` -> input, output, cache_read, cache_write (USD per million tokens) [default: `prices` in the config file]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no summary; only warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no summary; only warnings and errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Send session documents to the local SQLite file, or to Convex when one is configured')
            [CompletionResult]::new('dry-run', 'dry-run', [CompletionResultType]::ParameterValue, 'Print the documents `export` would send; send nothing, change no state')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List sessions, newest first, with their todos, cost, model and export state')
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'Cost, tokens, messages and sessions per day, week, month, project, model, agent, session or device; tool calls per tool')
            [CompletionResult]::new('prices', 'prices', [CompletionResultType]::ParameterValue, 'The list prices a model''s usage is valued at, and where each came from')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script (also checked in under completions/)')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page, in roff (also checked in as completions/session-export.1)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'session-export;export' {
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only sessions updated since WHEN: a duration back from now (36h, 7d, 2w), a date (2026-11-01, local time) or a timestamp (2026-11-01T12:00:00Z)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Only sessions of this project: an opencode project id, or a directory (sessions run in it or below it)')
            [CompletionResult]::new('--abandoned-after', '--abandoned-after', [CompletionResultType]::ParameterName, 'Treat a session with open todos as ended once it has not changed for this long (crash, closed terminal), e.g. 12h or 7d [default: never]')
            [CompletionResult]::new('--convex-url', '--convex-url', [CompletionResultType]::ParameterName, 'Convex deployment URL (https://<name>.convex.cloud) [env: SESSION_EXPORT_CONVEX_URL]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'opencode''s data dir [default: $XDG_DATA_HOME/opencode, else ~/.local/share/opencode]')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'opencode''s database [default: $OPENCODE_DB resolved against the data dir, else <data dir>/opencode.db]')
            [CompletionResult]::new('--prices', '--prices', [CompletionResultType]::ParameterName, 'List prices that beat the shipped table: a TOML or JSON file of `provider/model` -> input, output, cache_read, cache_write (USD per million tokens) [default: `prices` in the config file]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up on an HTTP request after this long, e.g. 30s [default: 30s]')
            [CompletionResult]::new('--all-complete', '--all-complete', [CompletionResultType]::ParameterName, 'Every top-level session whose todos are all completed or cancelled (or that has none) and that changed since it was last exported')
            [CompletionResult]::new('--if-complete', '--if-complete', [CompletionResultType]::ParameterName, 'Only those of the given sessions that --all-complete would pick (for the opencode plugin)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Send even sessions the ledger says are already exported and unchanged')
            [CompletionResult]::new('--include-subagents', '--include-subagents', [CompletionResultType]::ParameterName, 'Also take subagent (child) sessions on their own, with the state they would have alone')
            [CompletionResult]::new('--include-messages', '--include-messages', [CompletionResultType]::ParameterName, 'Include the full transcript with parts as `messagesJson`, and the title (well-known secret formats are masked)')
            [CompletionResult]::new('--no-include-messages', '--no-include-messages', [CompletionResultType]::ParameterName, 'Leave the transcript out [default]')
            [CompletionResult]::new('--include-todos', '--include-todos', [CompletionResultType]::ParameterName, 'Include the todo list as `todosJson` [default]')
            [CompletionResult]::new('--no-include-todos', '--no-include-todos', [CompletionResultType]::ParameterName, 'Leave the todo list out')
            [CompletionResult]::new('--include-tools', '--include-tools', [CompletionResultType]::ParameterName, 'Include calls, errors and time per tool as `tools` (reads every part of the store: slower)')
            [CompletionResult]::new('--no-include-tools', '--no-include-tools', [CompletionResultType]::ParameterName, 'Leave the tool calls out [default]')
            [CompletionResult]::new('--hash-paths', '--hash-paths', [CompletionResultType]::ParameterName, 'Send a stable hash (sha256:...) instead of the project directory''s path')
            [CompletionResult]::new('--no-hash-paths', '--no-hash-paths', [CompletionResultType]::ParameterName, 'Send the project directory''s path [default]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no summary; only warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no summary; only warnings and errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'session-export;dry-run' {
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only sessions updated since WHEN: a duration back from now (36h, 7d, 2w), a date (2026-11-01, local time) or a timestamp (2026-11-01T12:00:00Z)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Only sessions of this project: an opencode project id, or a directory (sessions run in it or below it)')
            [CompletionResult]::new('--abandoned-after', '--abandoned-after', [CompletionResultType]::ParameterName, 'Treat a session with open todos as ended once it has not changed for this long (crash, closed terminal), e.g. 12h or 7d [default: never]')
            [CompletionResult]::new('--convex-url', '--convex-url', [CompletionResultType]::ParameterName, 'Convex deployment URL (https://<name>.convex.cloud) [env: SESSION_EXPORT_CONVEX_URL]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'opencode''s data dir [default: $XDG_DATA_HOME/opencode, else ~/.local/share/opencode]')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'opencode''s database [default: $OPENCODE_DB resolved against the data dir, else <data dir>/opencode.db]')
            [CompletionResult]::new('--prices', '--prices', [CompletionResultType]::ParameterName, 'List prices that beat the shipped table: a TOML or JSON file of `provider/model` -> input, output, cache_read, cache_write (USD per million tokens) [default: `prices` in the config file]')
            [CompletionResult]::new('--all-complete', '--all-complete', [CompletionResultType]::ParameterName, 'Every top-level session whose todos are all completed or cancelled (or that has none) and that changed since it was last exported')
            [CompletionResult]::new('--if-complete', '--if-complete', [CompletionResultType]::ParameterName, 'Only those of the given sessions that --all-complete would pick (for the opencode plugin)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Send even sessions the ledger says are already exported and unchanged')
            [CompletionResult]::new('--include-subagents', '--include-subagents', [CompletionResultType]::ParameterName, 'Also take subagent (child) sessions on their own, with the state they would have alone')
            [CompletionResult]::new('--include-messages', '--include-messages', [CompletionResultType]::ParameterName, 'Include the full transcript with parts as `messagesJson`, and the title (well-known secret formats are masked)')
            [CompletionResult]::new('--no-include-messages', '--no-include-messages', [CompletionResultType]::ParameterName, 'Leave the transcript out [default]')
            [CompletionResult]::new('--include-todos', '--include-todos', [CompletionResultType]::ParameterName, 'Include the todo list as `todosJson` [default]')
            [CompletionResult]::new('--no-include-todos', '--no-include-todos', [CompletionResultType]::ParameterName, 'Leave the todo list out')
            [CompletionResult]::new('--include-tools', '--include-tools', [CompletionResultType]::ParameterName, 'Include calls, errors and time per tool as `tools` (reads every part of the store: slower)')
            [CompletionResult]::new('--no-include-tools', '--no-include-tools', [CompletionResultType]::ParameterName, 'Leave the tool calls out [default]')
            [CompletionResult]::new('--hash-paths', '--hash-paths', [CompletionResultType]::ParameterName, 'Send a stable hash (sha256:...) instead of the project directory''s path')
            [CompletionResult]::new('--no-hash-paths', '--no-hash-paths', [CompletionResultType]::ParameterName, 'Send the project directory''s path [default]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no summary; only warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no summary; only warnings and errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'session-export;list' {
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Show at most N sessions, the most recently updated; 0 shows all [default: 20 for the table, all with --json or --ids]')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Show at most N sessions, the most recently updated; 0 shows all [default: 20 for the table, all with --json or --ids]')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only sessions updated since WHEN: a duration back from now (36h, 7d, 2w), a date (2026-11-01, local time) or a timestamp (2026-11-01T12:00:00Z)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Only sessions of this project: an opencode project id, or a directory (sessions run in it or below it)')
            [CompletionResult]::new('--abandoned-after', '--abandoned-after', [CompletionResultType]::ParameterName, 'Treat a session with open todos as ended once it has not changed for this long (crash, closed terminal), e.g. 12h or 7d [default: never]')
            [CompletionResult]::new('--convex-url', '--convex-url', [CompletionResultType]::ParameterName, 'Convex deployment URL (https://<name>.convex.cloud) [env: SESSION_EXPORT_CONVEX_URL]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'opencode''s data dir [default: $XDG_DATA_HOME/opencode, else ~/.local/share/opencode]')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'opencode''s database [default: $OPENCODE_DB resolved against the data dir, else <data dir>/opencode.db]')
            [CompletionResult]::new('--prices', '--prices', [CompletionResultType]::ParameterName, 'List prices that beat the shipped table: a TOML or JSON file of `provider/model` -> input, output, cache_read, cache_write (USD per million tokens) [default: `prices` in the config file]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'JSON Lines: one object per session')
            [CompletionResult]::new('--ids', '--ids', [CompletionResultType]::ParameterName, 'Only the session ids, one per line, newest first (`list --ids -n 1`: the latest)')
            [CompletionResult]::new('--include-subagents', '--include-subagents', [CompletionResultType]::ParameterName, 'Also take subagent (child) sessions on their own, with the state they would have alone')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no summary; only warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no summary; only warnings and errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'session-export;report' {
            [CompletionResult]::new('--by', '--by', [CompletionResultType]::ParameterName, 'What one row is')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Only sessions of this project: an opencode project id, or a directory (sessions run in it or below it)')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Only messages created before WHEN (same forms as --since)')
            [CompletionResult]::new('--tz', '--tz', [CompletionResultType]::ParameterName, 'Days, weeks and months in this time zone instead of local time: an IANA name such as Europe/Berlin or America/New_York; dates given to --since and --until are read in it too')
            [CompletionResult]::new('--last', '--last', [CompletionResultType]::ParameterName, 'Only the last N days, weeks or months (with --by day, week or month), the current one included, counted in the report''s time zone')
            [CompletionResult]::new('--html', '--html', [CompletionResultType]::ParameterName, 'Write one self-contained HTML page with charts to FILE (`-`: to stdout)')
            [CompletionResult]::new('--convex-url', '--convex-url', [CompletionResultType]::ParameterName, 'Convex deployment URL (https://<name>.convex.cloud) [env: SESSION_EXPORT_CONVEX_URL]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up on an HTTP request after this long, e.g. 30s [default: 30s]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'opencode''s data dir [default: $XDG_DATA_HOME/opencode, else ~/.local/share/opencode]')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'opencode''s database [default: $OPENCODE_DB resolved against the data dir, else <data dir>/opencode.db]')
            [CompletionResult]::new('--prices', '--prices', [CompletionResultType]::ParameterName, 'List prices that beat the shipped table: a TOML or JSON file of `provider/model` -> input, output, cache_read, cache_write (USD per million tokens) [default: `prices` in the config file]')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only messages created at or after WHEN: a duration back from now (36h, 7d, 2w), a date (2026-11-01, local time) or a timestamp (2026-11-01T12:00:00Z)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Days, weeks and months in UTC instead of local time (the same as --tz UTC)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'JSON Lines: one object per row')
            [CompletionResult]::new('--csv', '--csv', [CompletionResultType]::ParameterName, 'CSV with a header line')
            [CompletionResult]::new('--convex', '--convex', [CompletionResultType]::ParameterName, 'The team report: every exporter''s sessions, from the Convex deployment''s aggregates (--convex-url or $SESSION_EXPORT_CONVEX_URL, and $SESSION_EXPORT_TOKEN, or the config file); days in UTC')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no summary; only warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no summary; only warnings and errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'session-export;prices' {
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'opencode''s data dir [default: $XDG_DATA_HOME/opencode, else ~/.local/share/opencode]')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'opencode''s database [default: $OPENCODE_DB resolved against the data dir, else <data dir>/opencode.db]')
            [CompletionResult]::new('--prices', '--prices', [CompletionResultType]::ParameterName, 'List prices that beat the shipped table: a TOML or JSON file of `provider/model` -> input, output, cache_read, cache_write (USD per million tokens) [default: `prices` in the config file]')
            [CompletionResult]::new('--info', '--info', [CompletionResultType]::ParameterName, 'Print where the shipped table came from and when it was taken')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no summary; only warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no summary; only warnings and errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'session-export;completions' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'session-export;man' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'session-export;help' {
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Send session documents to the local SQLite file, or to Convex when one is configured')
            [CompletionResult]::new('dry-run', 'dry-run', [CompletionResultType]::ParameterValue, 'Print the documents `export` would send; send nothing, change no state')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List sessions, newest first, with their todos, cost, model and export state')
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'Cost, tokens, messages and sessions per day, week, month, project, model, agent, session or device; tool calls per tool')
            [CompletionResult]::new('prices', 'prices', [CompletionResultType]::ParameterValue, 'The list prices a model''s usage is valued at, and where each came from')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script (also checked in under completions/)')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page, in roff (also checked in as completions/session-export.1)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'session-export;help;export' {
            break
        }
        'session-export;help;dry-run' {
            break
        }
        'session-export;help;list' {
            break
        }
        'session-export;help;report' {
            break
        }
        'session-export;help;prices' {
            break
        }
        'session-export;help;completions' {
            break
        }
        'session-export;help;man' {
            break
        }
        'session-export;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
