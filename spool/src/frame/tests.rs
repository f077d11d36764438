use super::*;

fn frames(payloads: &[&[u8]]) -> Vec<u8> {
    let mut buf = Vec::new();
    for p in payloads {
        encode(&mut buf, &[p]);
    }
    buf
}

fn payloads<'a>(buf: &'a [u8], items: &[Item]) -> Vec<&'a [u8]> {
    items
        .iter()
        .filter_map(|i| match i {
            Item::Frame { payload, .. } => Some(&buf[payload.clone()]),
            Item::Damage(_) => None,
        })
        .collect()
}

#[test]
fn frames_read_back_in_order_with_their_offsets() {
    let buf = frames(&[b"one", b"", b"three"]);
    let items = read_all(&buf);
    assert_eq!(
        items,
        vec![
            Item::Frame {
                offset: 0,
                payload: 12..15
            },
            Item::Frame {
                offset: 15,
                payload: 27..27
            },
            Item::Frame {
                offset: 27,
                payload: 39..44
            },
        ]
    );
    assert_eq!(frame_len(5), 17);
}

#[test]
fn a_frame_read_in_pieces_verifies_only_whole_and_intact() {
    let buf = frames(&[b"three"]);
    let h = header(buf[..HEADER_LEN].try_into().unwrap()).unwrap();
    assert_eq!(h.len, 5);
    assert!(verify(h.len, h.crc, &[b"th", b"", b"ree"]));
    assert!(!verify(h.len, h.crc, &[b"th", b"ree!"]), "longer");
    assert!(!verify(h.len, h.crc, &[b"thre"]), "shorter");
    assert!(!verify(h.len, h.crc, &[b"thr", b"Ee"]), "changed");
    assert!(!verify(h.len, h.crc ^ 1, &[b"three"]), "another checksum");
    let mut bad = buf.clone();
    bad[0] ^= 1;
    assert_eq!(header(bad[..HEADER_LEN].try_into().unwrap()), None, "magic");
    let mut huge = buf.clone();
    huge[4..8].copy_from_slice(&(MAX_PAYLOAD as u32 + 1).to_le_bytes());
    assert_eq!(
        header(huge[..HEADER_LEN].try_into().unwrap()),
        None,
        "length"
    );
}

#[test]
fn parts_are_one_payload() {
    let mut a = Vec::new();
    encode(&mut a, &[b"ab", b"", b"cd"]);
    assert_eq!(a, frames(&[b"abcd"]));
}

#[test]
fn a_damaged_frame_costs_only_itself() {
    let buf = frames(&[b"first", b"second", b"third"]);
    let second = 17..35;
    // Every single byte of the middle frame, flipped: header or payload alike.
    for i in second.clone() {
        let mut bad = buf.clone();
        bad[i] ^= 0x40;
        let items = read_all(&bad);
        assert_eq!(
            payloads(&bad, &items),
            [&b"first"[..], b"third"],
            "byte {i}"
        );
        assert!(
            items.contains(&Item::Damage(Damage::Corrupt(second.clone()))),
            "byte {i}: {items:?}"
        );
    }
}

#[test]
fn a_torn_tail_is_reported_and_the_rest_kept() {
    let buf = frames(&[b"first", b"second"]);
    for cut in 18..buf.len() {
        let items = read_all(&buf[..cut]);
        assert_eq!(payloads(&buf, &items), [&b"first"[..]], "cut at {cut}");
        assert_eq!(
            items.last(),
            Some(&Item::Damage(Damage::Torn(17..cut))),
            "cut at {cut}"
        );
    }
    // A cut exactly at a frame boundary is no damage at all.
    assert_eq!(read_all(&buf[..17]).len(), 1);
}

#[test]
fn an_impossible_length_is_not_allocated_or_trusted() {
    let mut buf = frames(&[b"x"]);
    buf[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(read_all(&buf), vec![Item::Damage(Damage::Torn(0..13))]);
}

#[test]
fn garbage_before_a_frame_is_skipped() {
    let mut buf = b"SLS garbage SLSr".to_vec();
    buf.extend(frames(&[b"kept"]));
    let items = read_all(&buf);
    assert_eq!(payloads(&buf, &items), [&b"kept"[..]]);
    assert_eq!(items[0], Item::Damage(Damage::Corrupt(0..16)));
}

proptest::proptest! {
    /// Whatever bytes a frame is cut or damaged with, reading never panics, and every frame
    /// not touched by the damage is read back.
    #[test]
    fn damage_never_loses_untouched_frames(
        payloads_in in proptest::collection::vec(proptest::collection::vec(proptest::num::u8::ANY, 0..40), 1..8),
        flip in proptest::option::of((0usize..400, 1u8..=255)),
        cut in proptest::option::of(0usize..400),
    ) {
        let mut buf = Vec::new();
        let mut spans = Vec::new();
        for p in &payloads_in {
            let start = buf.len();
            encode(&mut buf, &[p]);
            spans.push(start..buf.len());
        }
        let touched = |r: &Range<usize>| -> bool {
            flip.is_some_and(|(i, _)| r.contains(&i)) || cut.is_some_and(|c| c < r.end)
        };
        let expected: Vec<&Vec<u8>> = payloads_in
            .iter()
            .zip(&spans)
            .filter(|(_, r)| !touched(r))
            .map(|(p, _)| p)
            .collect();
        let mut bad = buf.clone();
        if let Some((i, x)) = flip
            && i < bad.len()
        {
            bad[i] ^= x;
        }
        if let Some(c) = cut {
            bad.truncate(c);
        }
        let items = read_all(&bad);
        let got = payloads(&bad, &items);
        for p in expected {
            proptest::prop_assert!(got.contains(&p.as_slice()), "lost {:?}", p);
        }
    }
}
