//! What leaves the machine: no content unless asked, hashed paths on request,
//! and well-known secrets masked in transcripts.

mod common;

use common::TestEnv;
use rusqlite::Connection;
use serde_json::Value;

const STORE: &str = "v1.18.33";

fn dry_run(fx: &TestEnv, args: &[&str]) -> Value {
    serde_json::from_str(&fx.ok(&[&["dry-run"], args].concat()).0).unwrap()
}

#[test]
fn by_default_no_message_content_leaves() {
    let fx = TestEnv::load(STORE);
    let doc = dry_run(&fx, &[&fx.scenario("two-agents").unwrap()]);
    assert!(doc.get("messagesJson").is_none());
    assert!(
        doc.get("title").is_none(),
        "the title is written from the first prompt"
    );
    assert!(doc.get("todosJson").is_some());
    let with = dry_run(
        &fx,
        &["--include-messages", &fx.scenario("two-agents").unwrap()],
    );
    assert!(with["messagesJson"].as_str().unwrap().len() > 100);
    assert!(with["title"].is_string());
}

#[test]
fn hash_paths_replaces_the_project_directory_with_a_stable_hash() {
    let fx = TestEnv::load(STORE);
    let a = fx.scenario("no-todos").unwrap();
    let b = fx.scenario("todos-done").unwrap();
    let plain = dry_run(&fx, &[&a]);
    let dir = plain["projectDirectory"].as_str().unwrap();
    assert!(dir.starts_with('/'));
    assert!(plain.get("projectDirectoryHashed").is_none());
    let hashed = dry_run(&fx, &["--hash-paths", &a]);
    let h = hashed["projectDirectory"].as_str().unwrap();
    assert!(h.starts_with("sha256:") && h.len() == 7 + 32, "{h}");
    assert_eq!(hashed["projectDirectoryHashed"], true);
    // stable: the same directory, another session, another run
    assert_eq!(dry_run(&fx, &["--hash-paths", &b])["projectDirectory"], h);
    // and the config key does the same
    let cfg = fx.tmp.path().join("config/session-export");
    std::fs::create_dir_all(&cfg).unwrap();
    std::fs::write(cfg.join("config.toml"), "hash_paths = true\n").unwrap();
    assert_eq!(dry_run(&fx, &[&a])["projectDirectory"], h);
    assert_eq!(
        dry_run(&fx, &["--no-hash-paths", &a])["projectDirectory"],
        dir
    );
}

/// Sample secrets, each with the marker that must replace it.
const SECRETS: [(&str, &str); 6] = [
    (
        "sk-proj-4fJ9aQ2LmZ8xWc1VbN7tRy6UeP3oKd5s",
        "[REDACTED:api-key]",
    ),
    (
        "ghp_1234567890abcdefghijABCDEFGHIJ123456",
        "[REDACTED:github-token]",
    ),
    ("AKIAIOSFODNN7EXAMPLE", "[REDACTED:aws-access-key]"),
    (
        "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----",
        "[REDACTED:private-key]",
    ),
    (
        "s3cr3t-pa55",
        "https://alice:[REDACTED:password]@git.example.com/repo.git",
    ),
    (
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "[REDACTED:aws-secret-key]",
    ),
];

const ORDINARY: &str = "Please refactor src/task-runner.rs; keep the risk_level check and the README link https://github.com/anomalyco/opencode.";

#[test]
fn a_transcript_holding_secrets_comes_out_redacted_and_ordinary_text_stays() {
    let fx = TestEnv::load(STORE);
    let id = fx.scenario("no-todos").unwrap();
    // Put the secrets into the user's prompt of a real session.
    let prompt = format!(
        "{ORDINARY}\nkey {}\ntoken {}\naws {}\n{}\nclone https://alice:{}@git.example.com/repo.git\naws_secret_access_key = {}\n",
        SECRETS[0].0, SECRETS[1].0, SECRETS[2].0, SECRETS[3].0, SECRETS[4].0, SECRETS[5].0
    );
    let db = Connection::open(fx.data.join("opencode.db")).unwrap();
    let changed = db
        .execute(
            "UPDATE part SET data = json_set(data, '$.text', ?2) WHERE id = (
                SELECT p.id FROM part p JOIN message m ON m.id = p.message_id
                WHERE p.session_id = ?1 AND json_extract(m.data, '$.role') = 'user'
                  AND json_extract(p.data, '$.type') = 'text' LIMIT 1)",
            rusqlite::params![id, prompt],
        )
        .unwrap();
    assert_eq!(changed, 1);
    drop(db);

    let doc = dry_run(&fx, &["--include-messages", &id]);
    let transcript = doc["messagesJson"].as_str().unwrap();
    for (secret, marker) in SECRETS {
        let secret_json = serde_json::to_string(secret).unwrap();
        let secret_json = secret_json.trim_matches('"');
        assert!(!transcript.contains(secret_json), "{secret} leaked");
        let marker_json = serde_json::to_string(marker).unwrap();
        assert!(
            transcript.contains(marker_json.trim_matches('"')),
            "{marker} missing"
        );
    }
    assert!(transcript.contains(ORDINARY), "ordinary text was changed");
    // The document parses, and the prompt is still there, masked.
    let messages: Vec<Value> = serde_json::from_str(transcript).unwrap();
    let text = messages[0]["parts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["type"] == "text")
        .unwrap()["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        text.starts_with(ORDINARY) && text.contains("key [REDACTED:api-key]"),
        "{text}"
    );
}
