//! Issue 3: the shipped corpus is well-formed and large enough.

use std::collections::{HashMap, HashSet};

use crate::util::{framelens, read_jsonl, root, stderr, LABELS};

fn lines(path: &str) -> Vec<serde_json::Value> {
    read_jsonl(&root().join(path))
}

#[test]
fn corpus_is_valid_and_meets_the_minimums() {
    let articles = lines("corpus/articles.jsonl");
    let mut n_paras: HashMap<String, usize> = HashMap::new();
    for a in &articles {
        let id = a["id"].as_str().unwrap().to_string();
        for f in ["title", "date", "source", "text"] {
            assert!(a[f].as_str().is_some_and(|s| !s.is_empty()), "{id}: {f}");
        }
        let date = a["date"].as_str().unwrap();
        let parts: Vec<u32> = date.split('-').map(|p| p.parse().unwrap()).collect();
        assert!(
            parts.len() == 3
                && (2019..=2026).contains(&parts[0])
                && (1..=12).contains(&parts[1])
                && (1..=31).contains(&parts[2]),
            "{id}: date {date}"
        );
        let paras = framelens::corpus::paragraphs(a["text"].as_str().unwrap()).len();
        assert!(
            n_paras.insert(id.clone(), paras).is_none(),
            "duplicate id {id}"
        );
    }
    let mut seen = HashSet::new();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for p in lines("corpus/labels/paragraphs.jsonl") {
        let id = p["id"].as_str().unwrap().to_string();
        let para = p["para"].as_u64().unwrap() as usize;
        let frame = p["frame"].as_str().unwrap();
        let label = LABELS
            .iter()
            .find(|l| **l == frame)
            .unwrap_or_else(|| panic!("unknown label {frame}"));
        assert!(para < n_paras[&id], "{id} has no paragraph {para}");
        assert!(seen.insert((id, para)), "paragraph labeled twice");
        *counts.entry(label).or_default() += 1;
    }
    let total: usize = n_paras.values().sum();
    assert_eq!(seen.len(), total, "every paragraph is labeled exactly once");
    assert!(articles.len() >= 250, "{} articles", articles.len());
    assert!(total >= 3000, "{total} paragraphs");
    for f in &LABELS[..4] {
        assert!(counts[f] >= 400, "{f}: {}", counts[f]);
    }
    assert!(counts["none"] >= 600);
    let docs = lines("corpus/labels/documents.jsonl");
    assert_eq!(docs.len(), articles.len());
    for d in docs {
        assert!(n_paras.contains_key(d["id"].as_str().unwrap()));
        assert!(LABELS.contains(&d["primary"].as_str().unwrap()));
        for f in d["present"].as_array().unwrap() {
            assert!(LABELS[..4].contains(&f.as_str().unwrap()));
        }
    }
    let sources: HashSet<&str> = articles
        .iter()
        .map(|a| a["source"].as_str().unwrap())
        .collect();
    assert!(sources.len() >= 12);
}

#[test]
fn stats_command_prints_the_counts() {
    let o = framelens(["stats", "--labels", "corpus"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(out.contains("documents\t300"), "{out}");
    assert!(out.contains("label none\t1277"), "{out}");
}
