use super::*;

fn span(n: u32) -> Span {
    Span { file: n % 3, start: n * 100, end: n * 100 + 7, line: n + 1, col: 70_000 + n }
}

fn route(dst: &str, at: u32, envelope: Option<Envelope>) -> Item {
    let mut element = Element::new("route").with_attr("destination", dst).with_attr("gateway", "192.0.2.1");
    element.span = span(at);
    element.attributes[0].span = span(at + 1);
    element.attributes[0].value_span = span(at + 2);
    Item { interface: "rt0".into(), kind: "bridge".into(), envelope, element }
}

fn envelope(name: &str) -> Envelope {
    Envelope {
        name: name.into(),
        kind: "bridge".into(),
        start_mode: "onboot".into(),
        state: LinkState::Down,
        mac: Some("52:54:00:12:34:56".into()),
        mtu: Some(9000),
        master: None,
        parent: Some("eth0".into()),
        ifindex: Some(0),
    }
}

fn sample_items() -> Vec<Item> {
    let nested = Element::new("bridge")
        .with_child(Element::new("member").with_attr("device", "ünïcode-名"))
        .with_child(Element::new("note").with_text(""))
        .with_child(Element::new("deep").with_child(Element::new("deeper").with_text("x\"y\n")));
    vec![
        route("10.0.0.0/24", 5, Some(envelope("rt0"))),
        route("10.0.1.0/24", 9, Some(envelope("rt0"))),
        route("10.0.2.0/24", 1, Some(envelope("rt1"))),
        route("10.0.3.0/24", 0, None),
        route("10.0.4.0/24", 3, Some(envelope("rt1"))),
        Item { interface: "br0".into(), kind: "bridge".into(), envelope: None, element: nested },
    ]
}

#[test]
fn items_round_trip_with_spans_and_repeated_envelopes() {
    let items = sample_items();
    let text = super::items(&items);
    assert!(is_compact(&text));
    assert_eq!(read_items(&text).unwrap(), items);
    assert!(read_items("[]").is_err(), "JSON is not the compact form");
    assert!(!is_compact("[]"));
    // One envelope written twice in a row costs one byte the second time.
    let json = serde_json::to_string(&items).unwrap();
    assert!(text.len() * 2 < json.len(), "{} vs {}", text.len(), json.len());
}

#[test]
fn a_validate_request_keeps_its_id() {
    let items = sample_items();
    for keep_as in [None, Some(0), Some(u64::MAX)] {
        let text = validate_request(&items, keep_as);
        assert_eq!(read_validate_request(&text).unwrap(), (items.clone(), keep_as));
    }
    assert!(read_items(&validate_request(&items, None)).is_err(), "the kind is checked");
}

#[test]
fn changes_round_trip_in_every_phase() {
    let list: Vec<Change> = PHASES
        .iter()
        .enumerate()
        .map(|(i, &phase)| Change {
            interface: format!("eth{i}"),
            phase,
            description: format!("step {i} → done"),
            payload: if i % 2 == 0 { String::new() } else { r#"{"op":"add"}"#.into() },
        })
        .collect();
    assert_eq!(read_changes(&changes(&list)).unwrap(), list);
    assert_eq!(read_changes(&changes(&[])).unwrap(), vec![]);
}

#[test]
fn validations_round_trip() {
    let v = Validation {
        diagnostics: vec![
            Diagnostic::error(span(4), "bad").on_interface("eth0").on_attribute("mtu").with_help("try 1500"),
            Diagnostic { severity: Severity::Note, ..Diagnostic::warning(Span::default(), "meh") },
        ],
        dependencies: vec![Dependency {
            from: "eth0".into(),
            to: "br0".into(),
            relation: Relation::Member,
            span: span(2),
        }],
        subnets: vec![
            Subnet { interface: "br0".into(), prefix: Some("10.0.0.0/24".into()) },
            Subnet { interface: "br0".into(), prefix: None },
        ],
        nexthops: vec![Nexthop { interface: "br0".into(), address: "10.0.0.1".into(), span: span(8) }],
    };
    assert_eq!(read_validation(&validation(&v)).unwrap(), v);
    assert_eq!(read_validation(&validation(&Validation::default())).unwrap(), Validation::default());
}

#[test]
fn content_leaves_spans_out() {
    let items = sample_items();
    let moved: Vec<Item> =
        items.iter().map(|i| Item { element: i.element.without_spans(), ..i.clone() }).collect();
    assert_eq!(content_of(&items), content_of(&moved));
    let mut other = moved.clone();
    other[1].element.attributes[1].value = "192.0.2.2".into();
    assert_ne!(content_of(&other), content_of(&moved));
}

#[test]
fn damaged_buffers_are_errors_not_panics() {
    let items = sample_items();
    let text = super::items(&items);
    // Every cut at a character boundary, and every ASCII byte replaced by a large number.
    for cut in (0..text.len()).filter(|&i| text.is_char_boundary(i)) {
        assert!(read_items(&text[..cut]).is_err(), "cut at {cut}");
    }
    for i in (2..text.len()).filter(|&i| text.as_bytes()[i] < 0x80) {
        let mut damaged = text.clone();
        damaged.replace_range(i..i + 1, "\u{7f}");
        let _ = read_items(&damaged);
    }
    let mut longer = text.clone();
    longer.push('x');
    assert!(read_items(&longer).is_err(), "bytes left over");
}
