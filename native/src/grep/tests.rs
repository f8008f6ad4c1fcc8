use super::*;
use crate::walk::tests::TempDir;

fn tree() -> TempDir {
    let t = TempDir::new("grep");
    t.write("a.txt", b"hello world\nfoo\nHello again\nbar\n");
    t.write(
        "sub/b.txt",
        b"one\ntwo\nhello\nthree\nfour\nhello hello\nfive\n",
    );
    t.write("bin.dat", b"hello\x00binary\n");
    t.write(".gitignore", b"ignored.txt\n");
    t.write("ignored.txt", b"hello\n");
    t.write("crlf.txt", b"x hello\r\ny\r\n");
    t
}

fn lines(out: &GrepOutput) -> Vec<(String, u64)> {
    out.files
        .iter()
        .flat_map(|f| {
            f.matches
                .iter()
                .map(move |m| (f.path.to_string_lossy().into_owned(), m.line_number))
        })
        .collect()
}

#[test]
fn basic_search_sorted_and_skips_binary_and_ignored() {
    let t = tree();
    let out = grep("hello", t.path(), &GrepOptions::default()).unwrap();
    assert_eq!(
        lines(&out),
        vec![
            ("a.txt".into(), 1),
            ("crlf.txt".into(), 1),
            ("sub/b.txt".into(), 3),
            ("sub/b.txt".into(), 6)
        ]
    );
    assert!(!out.truncated);
    let crlf = &out.files[1].matches[0];
    assert_eq!(crlf.line, "x hello");
    assert_eq!(crlf.column, 3);
    assert_eq!(crlf.spans, vec![(2, 7)]);
    let two = &out.files[2].matches[1];
    assert_eq!(two.spans, vec![(0, 5), (6, 11)]);
}

#[test]
fn case_options() {
    let t = tree();
    let opts = GrepOptions {
        ignore_case: true,
        ..Default::default()
    };
    assert_eq!(grep("HELLO", t.path(), &opts).unwrap().match_count(), 5);
    let smart = GrepOptions {
        smart_case: true,
        ..Default::default()
    };
    assert_eq!(grep("hello", t.path(), &smart).unwrap().match_count(), 5);
    assert_eq!(grep("Hello", t.path(), &smart).unwrap().match_count(), 1);
}

#[test]
fn fixed_and_word() {
    let t = TempDir::new("grep-fw");
    t.write("f.txt", b"a.b\naxb\nfoobar\nfoo bar\n");
    let fixed = GrepOptions {
        fixed: true,
        ..Default::default()
    };
    assert_eq!(grep("a.b", t.path(), &fixed).unwrap().match_count(), 1);
    assert_eq!(
        grep("a.b", t.path(), &GrepOptions::default())
            .unwrap()
            .match_count(),
        2
    );
    let word = GrepOptions {
        word: true,
        ..Default::default()
    };
    let out = grep("foo", t.path(), &word).unwrap();
    assert_eq!(lines(&out), vec![("f.txt".into(), 4)]);
}

#[test]
fn context_lines() {
    let t = tree();
    let opts = GrepOptions {
        before: 2,
        after: 1,
        walk: WalkOptions {
            globs: vec!["b.txt".into()],
            ..WalkOptions::new()
        },
        ..Default::default()
    };
    let out = grep("hello", t.path(), &opts).unwrap();
    let m = &out.files[0].matches;
    assert_eq!(m[0].before, vec![(1, "one".into()), (2, "two".into())]);
    assert_eq!(m[0].after, vec![(4, "three".into())]);
    assert_eq!(m[1].before, vec![(4, "three".into()), (5, "four".into())]);
    assert_eq!(m[1].after, vec![(7, "five".into())]);
}

#[test]
fn max_count_max_results_files_with_matches() {
    let t = tree();
    let opts = GrepOptions {
        max_count: Some(1),
        ..Default::default()
    };
    assert_eq!(grep("hello", t.path(), &opts).unwrap().match_count(), 3);
    let opts = GrepOptions {
        max_results: Some(2),
        ..Default::default()
    };
    let out = grep("hello", t.path(), &opts).unwrap();
    assert_eq!(out.match_count(), 2);
    assert!(out.truncated);
    let opts = GrepOptions {
        max_results: Some(4),
        ..Default::default()
    };
    let out = grep("hello", t.path(), &opts).unwrap();
    assert_eq!(out.match_count(), 4);
    assert!(!out.truncated);
    let opts = GrepOptions {
        files_with_matches: true,
        ..Default::default()
    };
    let out = grep("hello", t.path(), &opts).unwrap();
    let files: Vec<_> = out.files.iter().map(|f| f.path.clone()).collect();
    assert_eq!(files, vec!["a.txt", "crlf.txt", "sub/b.txt"]);
    assert!(out.files.iter().all(|f| f.matches.is_empty()));
    let opts = GrepOptions {
        max_results: Some(0),
        ..Default::default()
    };
    let out = grep("hello", t.path(), &opts).unwrap();
    assert!(out.files.is_empty() && out.truncated);
}

#[test]
fn max_count_with_after_context_keeps_later_matches_as_context() {
    let t = TempDir::new("grep-mc");
    t.write("f.txt", b"x\nhit 1\ny\nhit 2\nz\nhit 3\n");
    let opts = GrepOptions {
        max_count: Some(1),
        after: 3,
        ..Default::default()
    };
    let out = grep("hit", t.path(), &opts).unwrap();
    let m = &out.files[0].matches;
    assert_eq!(m.len(), 1);
    assert_eq!(
        m[0].after,
        vec![(3, "y".into()), (4, "hit 2".into()), (5, "z".into())]
    );
}

#[test]
fn big_tree_parallel_search_and_max_results() {
    let t = TempDir::new("grep-big");
    for d in 0..30 {
        for f in 0..25 {
            t.write(&format!("d{d:02}/f{f:02}.txt"), b"a\nneedle here\nb\n");
        }
    }
    let out = grep("needle", t.path(), &GrepOptions::default()).unwrap();
    assert_eq!(out.match_count(), 750);
    assert_eq!(out.files_searched, 750);
    let paths: Vec<_> = out.files.iter().map(|f| f.path.clone()).collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
    assert!(out.files.iter().all(|f| f.matches[0].line_number == 2));
    let capped = GrepOptions {
        max_results: Some(10),
        walk: WalkOptions {
            threads: 2,
            ..WalkOptions::new()
        },
        ..Default::default()
    };
    let out = grep("needle", t.path(), &capped).unwrap();
    assert_eq!(out.match_count(), 10);
    assert!(out.truncated);
    assert!(out.files_searched < 750);
}

#[test]
fn single_file_root_and_line_cut() {
    let t = TempDir::new("grep-one");
    let p = t.write("one.txt", "ééé needle\n".as_bytes());
    let opts = GrepOptions {
        max_line_len: 3,
        ..Default::default()
    };
    let out = grep("é", &p, &opts).unwrap();
    assert_eq!(out.files[0].path, "one.txt");
    let m = &out.files[0].matches[0];
    assert_eq!(m.line, "é");
    assert!(m.line_truncated);
    assert_eq!(m.spans, vec![(0, 2)]);
}

#[test]
fn errors() {
    let t = tree();
    match grep("a(b", t.path(), &GrepOptions::default()) {
        Err(Error::InvalidPattern(msg)) => {
            assert!(msg.contains("a(b\n     ^"), "{msg}");
            assert!(!msg.contains("(?:"), "{msg}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        grep("x", &t.path().join("missing"), &GrepOptions::default()),
        Err(Error::Io { .. })
    ));
}

#[test]
fn invalid_utf8_is_lossy() {
    let t = TempDir::new("grep-lossy");
    t.write("l.txt", b"caf\xe9 ok\n");
    let out = grep("ok", t.path(), &GrepOptions::default()).unwrap();
    let m = &out.files[0].matches[0];
    assert_eq!(m.line, "caf\u{fffd} ok");
    assert_eq!(m.spans, vec![(7, 9)]);
    assert_eq!(m.column, 8);
}
