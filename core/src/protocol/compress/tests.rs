use super::*;
use proptest::prelude::*;

/// 520 bytes of LogGroup-like input with plenty of repetition.
fn sample() -> Vec<u8> {
    let mut v = Vec::new();
    for i in 0..40u8 {
        v.extend_from_slice(b"\x0a\x0ekey=value ");
        v.push(b'0' + i % 10);
    }
    v
}

#[test]
fn header_values() {
    assert_eq!(Compression::default(), Compression::Lz4);
    assert_eq!(Compression::Lz4.header_value(), Some("lz4"));
    assert_eq!(Compression::Zstd.header_value(), Some("zstd"));
    assert_eq!(Compression::None.header_value(), None);
    for (s, c) in [
        ("lz4", Some(Compression::Lz4)),
        ("LZ4", Some(Compression::Lz4)),
        ("zstd", Some(Compression::Zstd)),
        ("ZStd", Some(Compression::Zstd)),
        ("deflate", None),
        ("", None),
        ("none", None),
        ("lz4 ", None),
    ] {
        assert_eq!(Compression::from_header_value(s), c, "{s:?}");
    }
    assert!(Compression::Lz4.is_supported() && Compression::None.is_supported());
    assert_eq!(Compression::Zstd.is_supported(), cfg!(feature = "zstd"));
}

#[test]
fn lz4_is_a_bare_block_without_size_prefix() {
    let raw = sample();
    let body = compress(Compression::Lz4, &raw).unwrap();
    assert!(body.len() < raw.len() / 2, "{} bytes", body.len());
    // No 4-byte little-endian size prefix (lz4_flex's compress_prepend_size format)...
    assert_ne!(&body[..4], &(raw.len() as u32).to_le_bytes());
    // ...and not an LZ4 frame (magic 04 22 4d 18).
    assert_ne!(&body[..4], &[0x04, 0x22, 0x4d, 0x18]);
    assert_eq!(lz4_flex::block::decompress(&body, raw.len()).unwrap(), raw);
    assert_eq!(decompress(Compression::Lz4, &body, raw.len()).unwrap(), raw);
}

#[test]
fn lz4_of_empty_input_round_trips() {
    let body = compress(Compression::Lz4, b"").unwrap();
    assert_eq!(decompress(Compression::Lz4, &body, 0).unwrap(), b"");
    assert!(decompress(Compression::Lz4, b"", 0).is_err());
}

#[test]
fn compress_into_reuses_and_replaces_the_buffer() {
    let raw = sample();
    let mut out = b"stale bytes from the previous batch".to_vec();
    compress_into(Compression::Lz4, &raw, &mut out).unwrap();
    assert_eq!(out, compress(Compression::Lz4, &raw).unwrap());
    let cap = out.capacity();
    compress_into(Compression::Lz4, &raw[..10], &mut out).unwrap();
    assert_eq!(out.capacity(), cap, "no reallocation for a smaller batch");
    assert_eq!(decompress(Compression::Lz4, &out, 10).unwrap(), &raw[..10]);
    compress_into(Compression::None, &raw, &mut out).unwrap();
    assert_eq!(out, raw);
}

#[test]
fn compressor_bodies_are_exact_and_equal_compress() {
    let mut compressor = Compressor::new();
    let raw = sample();
    let level = ZstdLevel::DEFAULT;
    for c in [Compression::Lz4, Compression::Zstd, Compression::None] {
        let body = compressor.compress(c, level, &raw);
        assert_eq!(body, compress(c, &raw), "{c:?}");
        if let Ok(body) = body {
            assert_eq!(body.capacity(), body.len(), "{c:?}: no slack kept");
        }
    }
    // The scratch buffer is sized once, by the largest batch, and reused for smaller
    // ones; stale bytes from a larger batch never leak into a smaller one's body.
    let big = compressor.scratch_len();
    assert!(big >= raw.len());
    for cut in [raw.len() / 2, 10, 0] {
        for c in [Compression::Lz4, Compression::Zstd] {
            let Ok(body) = compressor.compress(c, level, &raw[..cut]) else {
                continue;
            };
            assert_eq!(compressor.scratch_len(), big);
            assert_eq!(decompress(c, &body, cut).unwrap(), &raw[..cut], "{c:?}");
        }
    }
}

#[test]
fn none_requires_the_exact_length() {
    assert_eq!(decompress(Compression::None, b"abc", 3).unwrap(), b"abc");
    assert!(decompress(Compression::None, b"abc", 2).is_err());
    assert!(decompress(Compression::None, b"abc", 4).is_err());
}

#[test]
fn raw_size_mismatch_is_an_error() {
    let raw = sample();
    let body = compress(Compression::Lz4, &raw).unwrap();
    assert!(decompress(Compression::Lz4, &body, raw.len() - 1).is_err());
    assert_eq!(
        decompress(Compression::Lz4, &body, raw.len() + 7),
        Err(DecompressError {
            compression: Compression::Lz4,
            raw_size: raw.len() + 7
        })
    );
}

#[test]
fn corrupt_lz4_is_an_error_not_a_panic() {
    let raw = sample();
    let body = compress(Compression::Lz4, &raw).unwrap();
    // Truncations.
    for cut in 0..body.len() {
        assert!(
            decompress(Compression::Lz4, &body[..cut], raw.len()).is_err(),
            "cut {cut}"
        );
    }
    // A match offset pointing before the start of the output.
    assert!(decompress(Compression::Lz4, &[0x10, b'a', 0xff, 0x00], 100).is_err());
    // An offset of zero.
    assert!(decompress(Compression::Lz4, &[0x10, b'a', 0x00, 0x00], 100).is_err());
}

#[test]
fn errors_display_cause() {
    let e = decompress(Compression::Lz4, b"\x00", 10).unwrap_err();
    assert_eq!(
        alloc::format!("{e}"),
        "the body is not Lz4 data of the declared raw size 10"
    );
    let e = CompressError::Unsupported {
        compression: Compression::Zstd,
    };
    assert!(alloc::format!("{e}").contains("`zstd` feature"));
    let e = CompressError::Library {
        compression: Compression::Zstd,
        reason: "Allocation error : not enough memory",
    };
    assert_eq!(
        alloc::format!("{e}"),
        "Zstd compression failed: Allocation error : not enough memory"
    );
}

#[cfg(feature = "zstd")]
mod zstd {
    use super::*;

    #[test]
    fn round_trip_is_a_standard_frame() {
        let raw = sample();
        let body = compress(Compression::Zstd, &raw).unwrap();
        assert_eq!(&body[..4], &[0x28, 0xb5, 0x2f, 0xfd], "zstd frame magic");
        assert!(body.len() < raw.len());
        assert_eq!(
            decompress(Compression::Zstd, &body, raw.len()).unwrap(),
            raw
        );
        let empty = compress(Compression::Zstd, b"").unwrap();
        assert_eq!(decompress(Compression::Zstd, &empty, 0).unwrap(), b"");
    }

    #[test]
    fn decodes_frames_from_reference_zstd() {
        // zstd CLI 1.5.4, `zstd -1` of "hello hello hello hello\n", from a file: content
        // size in the header, single segment, XXH64 checksum.
        let from_file = [
            0x28, 0xb5, 0x2f, 0xfd, 0x24, 0x18, 0x6d, 0x00, 0x00, 0x38, 0x68, 0x65, 0x6c, 0x6c,
            0x6f, 0x20, 0x0a, 0x01, 0x00, 0x99, 0x4b, 0x11, 0xa8, 0x7c, 0x2e, 0xa8,
        ];
        // The same from a pipe: no content size, a 512 KiB window.
        let mut from_pipe = from_file;
        from_pipe[4..6].copy_from_slice(&[0x04, 0x48]);
        for body in [from_file, from_pipe] {
            assert_eq!(
                decompress(Compression::Zstd, &body, 24).unwrap(),
                b"hello hello hello hello\n"
            );
        }
    }

    #[test]
    fn size_mismatch_and_corruption_are_errors() {
        let raw = sample();
        let body = compress(Compression::Zstd, &raw).unwrap();
        assert!(decompress(Compression::Zstd, &body, raw.len() - 1).is_err());
        assert!(decompress(Compression::Zstd, &body, raw.len() + 1).is_err());
        for cut in 0..body.len() {
            assert!(
                decompress(Compression::Zstd, &body[..cut], raw.len()).is_err(),
                "cut {cut}"
            );
        }
        for i in 0..body.len() {
            let mut bad = body.clone();
            bad[i] ^= 0xa5;
            // Must not panic; a flipped literal byte may still decode (no checksum), but
            // then not to the original.
            if let Ok(out) = decompress(Compression::Zstd, &bad, raw.len()) {
                assert_ne!(out, raw, "flip at {i}");
            }
        }
        assert!(decompress(Compression::Zstd, b"", 0).is_err());
    }

    #[test]
    fn a_declared_window_above_the_limit_is_refused() {
        // Magic, descriptor 0x00 (window descriptor follows, no content size, no
        // checksum), window descriptor, then an empty last raw block.
        let frame = |window_descriptor: u8| {
            [
                0x28,
                0xb5,
                0x2f,
                0xfd,
                0x00,
                window_descriptor,
                0x01,
                0x00,
                0x00,
            ]
        };
        // 2^(10 + 13) = 8 MiB: at the limit, accepted.
        assert_eq!(
            decompress(Compression::Zstd, &frame(13 << 3), 0).unwrap(),
            b""
        );
        // 32 MiB: within ruzstd's own default limit, but above ours for a small body.
        assert!(decompress(Compression::Zstd, &frame(15 << 3), 0).is_err());
    }
}

/// The reference library's encoder at its levels.
#[cfg(feature = "zstd-native")]
mod zstd_native {
    use super::*;

    /// About 40 KiB of LogGroup-like text that is not one short repeated pattern: what
    /// higher levels can find more matches in.
    fn logs() -> Vec<u8> {
        let mut v = Vec::new();
        let mut x = 12_345u32;
        for i in 0..600u32 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let line = alloc::format!(
                "\x0a\x3ftime=1700000{i:03} level=info user={} latency_ms={} path=/api/v{}/items ",
                x % 97,
                (x >> 8) % 1000,
                (x >> 16) % 4
            );
            v.extend_from_slice(line.as_bytes());
        }
        v
    }

    #[test]
    fn every_level_writes_a_standard_frame_with_the_content_size() {
        let raw = logs();
        let mut compressor = Compressor::new();
        for level in ZstdLevel::MIN.get()..=ZstdLevel::MAX.get() {
            let level = ZstdLevel::new(level).unwrap();
            let body = compressor.compress(Compression::Zstd, level, &raw).unwrap();
            assert_eq!(&body[..4], &[0x28, 0xb5, 0x2f, 0xfd], "level {level}");
            // Frame header descriptor: a content size field (flag bits 7-6, or the
            // single-segment bit 5 with flag 0), no checksum (bit 2).
            let descriptor = body[4];
            assert!(
                descriptor & 0xc0 != 0 || descriptor & 0x20 != 0,
                "level {level}"
            );
            assert_eq!(descriptor & 0x04, 0, "level {level}: no checksum");
            assert_eq!(
                decompress(Compression::Zstd, &body, raw.len()).unwrap(),
                raw,
                "level {level}"
            );
        }
    }

    #[test]
    fn a_higher_level_compresses_more_and_levels_change_on_one_context() {
        let raw = logs();
        let mut compressor = Compressor::new();
        let at = |c: &mut Compressor, level: u8| {
            c.compress(Compression::Zstd, ZstdLevel::new(level).unwrap(), &raw)
                .unwrap()
        };
        let fastest = at(&mut compressor, 1);
        let smallest = at(&mut compressor, 19);
        assert!(
            smallest.len() < fastest.len(),
            "level 19: {} bytes, level 1: {}",
            smallest.len(),
            fastest.len()
        );
        // Back to level 1 on the same context, and on a fresh one: the same bytes.
        assert_eq!(at(&mut compressor, 1), fastest);
        assert_eq!(at(&mut Compressor::new(), 1), fastest);
        assert_eq!(at(&mut compressor.clone(), 19), smallest);
        // The free functions compress at the default level.
        assert_eq!(compress(Compression::Zstd, &raw).unwrap(), fastest);
    }

    #[test]
    fn libzstd_compresses_more_than_the_pure_rust_encoder() {
        let raw = logs();
        let native = compress(Compression::Zstd, &raw).unwrap();
        let mut pure = Vec::new();
        super::super::zstd::compress_pure_rust(&raw, &mut pure);
        assert!(
            native.len() < pure.len(),
            "libzstd level 1: {} bytes, pure Rust: {}",
            native.len(),
            pure.len()
        );
        assert_eq!(
            decompress(Compression::Zstd, &pure, raw.len()).unwrap(),
            raw
        );
    }
}

#[cfg(not(feature = "zstd"))]
#[test]
fn zstd_without_the_feature_is_unsupported() {
    assert_eq!(
        compress(Compression::Zstd, b"x"),
        Err(CompressError::Unsupported {
            compression: Compression::Zstd
        })
    );
    let e = decompress(Compression::Zstd, b"x", 1).unwrap_err();
    assert!(alloc::format!("{e}").contains("`zstd` feature"));
}

fn compressible() -> impl Strategy<Value = Vec<u8>> {
    // Few distinct bytes in runs: long matches, overlapping copies, offsets near 64 KiB.
    (
        proptest::collection::vec((0u8..4, 1usize..300), 0..400),
        any::<bool>(),
    )
        .prop_map(|(runs, repeat)| {
            let mut v: Vec<u8> = runs
                .into_iter()
                .flat_map(|(b, n)| core::iter::repeat_n(b, n))
                .collect();
            if repeat {
                let copy = v.clone();
                v.extend_from_slice(&copy);
            }
            v
        })
}

proptest! {
    #[test]
    fn lz4_round_trips_random_input(raw in proptest::collection::vec(any::<u8>(), 0..5000)) {
        let body = compress(Compression::Lz4, &raw).unwrap();
        prop_assert_eq!(decompress(Compression::Lz4, &body, raw.len()).unwrap(), raw);
    }

    #[test]
    fn lz4_round_trips_compressible_input(raw in compressible()) {
        let body = compress(Compression::Lz4, &raw).unwrap();
        if raw.len() > 1000 {
            prop_assert!(body.len() < raw.len() / 4, "{} -> {}", raw.len(), body.len());
        }
        prop_assert_eq!(decompress(Compression::Lz4, &body, raw.len()).unwrap(), raw);
    }

    #[test]
    fn arbitrary_bodies_never_panic(
        body in proptest::collection::vec(any::<u8>(), 0..200),
        raw_size in 0usize..2000,
    ) {
        // Whatever the bytes, the result is an error or exactly `raw_size` bytes.
        if let Ok(out) = decompress(Compression::Lz4, &body, raw_size) {
            prop_assert_eq!(out.len(), raw_size);
        }
        #[cfg(feature = "zstd")]
        {
            let mut framed = alloc::vec![0x28, 0xb5, 0x2f, 0xfd];
            framed.extend_from_slice(&body);
            if let Ok(out) = decompress(Compression::Zstd, &framed, raw_size) {
                prop_assert_eq!(out.len(), raw_size);
            }
        }
    }
}

#[cfg(feature = "zstd")]
proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn zstd_round_trips(raw in prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..3000),
        compressible(),
    ]) {
        let body = compress(Compression::Zstd, &raw).unwrap();
        prop_assert_eq!(decompress(Compression::Zstd, &body, raw.len()).unwrap(), raw);
    }
}
