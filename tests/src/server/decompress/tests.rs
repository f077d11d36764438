use super::*;
use proptest::prelude::*;
use sls_producer_core::protocol::compress::compress;

const MAX: usize = 1 << 20;

/// 520 bytes of LogGroup-like input with plenty of repetition.
fn sample() -> Vec<u8> {
    (0..40u8)
        .flat_map(|i| [b"\x0a\x0ekey=value ".as_slice(), &[b'0' + i % 10]].concat())
        .collect()
}

fn decompress(c: Compression, body: &[u8], raw_size: usize) -> Result<Vec<u8>, Undecodable> {
    let mut out = Vec::new();
    decompress_into(c, body, raw_size, MAX, &mut out).map(|()| out)
}

#[test]
fn reads_what_the_client_compresses() {
    let raw = sample();
    for c in [Compression::Lz4, Compression::Zstd, Compression::None] {
        let body = compress(c, &raw).unwrap();
        assert_eq!(decompress(c, &body, raw.len()), Ok(raw.clone()), "{c:?}");
        let empty = compress(c, b"").unwrap();
        assert_eq!(decompress(c, &empty, 0), Ok(vec![]), "{c:?}");
    }
}

#[test]
fn reads_zstd_frames_of_the_reference_encoder() {
    // zstd CLI 1.5.4, `zstd -1` of "hello hello hello hello\n", from a file: content
    // size in the header, single segment, XXH64 checksum.
    let from_file = [
        0x28, 0xb5, 0x2f, 0xfd, 0x24, 0x18, 0x6d, 0x00, 0x00, 0x38, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
        0x20, 0x0a, 0x01, 0x00, 0x99, 0x4b, 0x11, 0xa8, 0x7c, 0x2e, 0xa8,
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
fn the_declared_size_must_be_exact() {
    let raw = sample();
    for c in [Compression::Lz4, Compression::Zstd, Compression::None] {
        let body = compress(c, &raw).unwrap();
        assert_eq!(
            decompress(c, &body, raw.len() - 1),
            Err(Undecodable::Longer {
                raw_size: raw.len() - 1
            }),
            "{c:?}"
        );
        assert_eq!(
            decompress(c, &body, raw.len() + 7),
            Err(Undecodable::Shorter {
                raw_size: raw.len() + 7,
                decoded: raw.len()
            }),
            "{c:?}"
        );
    }
}

#[test]
fn corrupt_and_truncated_bodies_are_errors() {
    let raw = sample();
    for c in [Compression::Lz4, Compression::Zstd] {
        let body = compress(c, &raw).unwrap();
        for cut in 0..body.len() {
            assert!(
                decompress(c, &body[..cut], raw.len()).is_err(),
                "{c:?} cut {cut}"
            );
        }
        assert!(matches!(
            decompress(c, b"", 0),
            Err(Undecodable::Corrupt { compression, .. }) if compression == c
        ));
    }
    // An LZ4 match offset before the start of the output, and an offset of zero.
    for body in [[0x10, b'a', 0xff, 0x00], [0x10, b'a', 0x00, 0x00]] {
        assert!(matches!(
            decompress(Compression::Lz4, &body, 100),
            Err(Undecodable::Corrupt {
                compression: Compression::Lz4,
                ..
            })
        ));
    }
}

#[test]
fn sizes_above_the_limit_are_refused_before_allocating() {
    let mut out = Vec::new();
    for raw_size in [MAX + 1, usize::MAX] {
        for c in [Compression::Lz4, Compression::Zstd, Compression::None] {
            assert_eq!(
                decompress_into(c, b"\x00", raw_size, MAX, &mut out),
                Err(Undecodable::TooLarge { raw_size })
            );
        }
    }
    assert_eq!(out.capacity(), 0, "nothing allocated for a refused body");
}

#[test]
fn a_zstd_window_above_the_limit_is_refused() {
    // Magic, descriptor 0x00 (a window descriptor follows; no content size, no
    // checksum), the window descriptor, then an empty last raw block.
    let frame = |window: u8| [0x28, 0xb5, 0x2f, 0xfd, 0x00, window, 0x01, 0x00, 0x00];
    // 2^(10 + 13) = 8 MiB: at the limit, accepted.
    assert_eq!(
        decompress(Compression::Zstd, &frame(13 << 3), 0),
        Ok(vec![])
    );
    // 32 MiB, for a 16-byte body: refused.
    assert!(matches!(
        decompress(Compression::Zstd, &frame(15 << 3), 16),
        Err(Undecodable::Corrupt { .. })
    ));
    // The window may be as large as the raw size.
    let mut out = Vec::new();
    assert_eq!(
        decompress_into(
            Compression::Zstd,
            &frame(15 << 3),
            1 << 25,
            1 << 25,
            &mut out
        ),
        Err(Undecodable::Shorter {
            raw_size: 1 << 25,
            decoded: 0
        })
    );
}

#[test]
fn the_buffer_is_reused_and_never_holds_stale_bytes() {
    let raw = sample();
    let body = compress(Compression::Lz4, &raw).unwrap();
    let mut out = vec![0xee; 2 * raw.len()];
    let cap = out.capacity();
    decompress_into(Compression::Lz4, &body, raw.len(), MAX, &mut out).unwrap();
    assert_eq!(out, raw);
    let small = compress(Compression::Lz4, &raw[..10]).unwrap();
    decompress_into(Compression::Lz4, &small, 10, MAX, &mut out).unwrap();
    assert_eq!(out, &raw[..10]);
    decompress_into(Compression::Lz4, &body, raw.len(), MAX, &mut out).unwrap();
    assert_eq!((&out[..], out.capacity()), (&raw[..], cap));
    // An error leaves it empty, its allocation kept.
    assert!(decompress_into(Compression::Lz4, &body, raw.len() + 1, MAX, &mut out).is_err());
    assert_eq!((out.len(), out.capacity()), (0, cap));
}

proptest! {
    /// Whatever the bytes: an error, or exactly `raw_size` bytes.
    #[test]
    fn arbitrary_bodies_never_panic(
        body in proptest::collection::vec(any::<u8>(), 0..200),
        raw_size in 0usize..2000,
    ) {
        let mut framed = vec![0x28, 0xb5, 0x2f, 0xfd];
        framed.extend_from_slice(&body);
        for (c, body) in [(Compression::Lz4, &body), (Compression::Zstd, &framed)] {
            if let Ok(out) = decompress(c, body, raw_size) {
                prop_assert_eq!(out.len(), raw_size);
            }
        }
    }

    #[test]
    fn round_trips_what_the_client_compresses(
        raw in proptest::collection::vec(0u8..4, 0..3000),
    ) {
        for c in [Compression::Lz4, Compression::Zstd] {
            let body = compress(c, &raw).unwrap();
            prop_assert_eq!(decompress(c, &body, raw.len()), Ok(raw.clone()));
        }
    }
}
