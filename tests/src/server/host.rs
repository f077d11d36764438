//! The project named by the `Host` header (`{project}.{endpoint}`).

/// The project in a `Host` header value, or `None` when the host names no project.
///
/// The port is ignored. When the host ends with `.{suffix}` for one of `endpoint_hosts`
/// (e.g. `127.0.0.1`, `localhost`, `cn-hangzhou.log.aliyuncs.com`), the project is what
/// precedes it, so `myproject.127.0.0.1:8080` and the Python SDK's `myproject.127.0.0.1`
/// both name `myproject`. Otherwise, for a host name (not an IP address) with at least
/// two labels, the project is the first label (`p.example.test` names `p`).
pub fn project_from_host<'h>(host: &'h str, endpoint_hosts: &[String]) -> Option<&'h str> {
    let name = strip_port(host.trim());
    for suffix in endpoint_hosts {
        let Some(prefix) = name
            .strip_suffix(suffix.as_str())
            .and_then(|p| p.strip_suffix('.'))
        else {
            continue;
        };
        return non_empty(prefix);
    }
    if name.parse::<core::net::IpAddr>().is_ok() || name.starts_with('[') {
        return None;
    }
    let (first, rest) = name.split_once('.')?;
    if rest.is_empty() {
        return None;
    }
    non_empty(first)
}

/// `host` without a trailing `:port` (IPv6 literals in brackets are kept whole).
pub(crate) fn strip_port(host: &str) -> &str {
    if let Some(end) = host.strip_prefix('[').and_then(|h| h.find(']')) {
        return &host[..end + 2];
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

fn non_empty(s: &str) -> Option<&str> {
    (!s.is_empty() && !s.contains(':')).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> Vec<String> {
        vec![
            "127.0.0.1".into(),
            "localhost".into(),
            "cn-test.log.aliyuncs.com".into(),
        ]
    }

    #[test]
    fn project_before_a_known_endpoint() {
        let k = known();
        assert_eq!(project_from_host("p1.127.0.0.1:8080", &k), Some("p1"));
        assert_eq!(project_from_host("p1.127.0.0.1", &k), Some("p1"));
        assert_eq!(
            project_from_host("my-proj.localhost:1", &k),
            Some("my-proj")
        );
        assert_eq!(
            project_from_host("p.cn-test.log.aliyuncs.com", &k),
            Some("p")
        );
        assert_eq!(project_from_host("a.b.127.0.0.1", &k), Some("a.b"));
    }

    #[test]
    fn no_project_in_a_bare_endpoint() {
        let k = known();
        assert_eq!(project_from_host("127.0.0.1:8080", &k), None);
        assert_eq!(project_from_host("localhost", &k), None);
        assert_eq!(project_from_host("10.0.0.1", &k), None);
        assert_eq!(project_from_host("[::1]:80", &k), None);
        assert_eq!(project_from_host("single", &k), None);
        assert_eq!(project_from_host(".127.0.0.1", &k), None);
    }

    #[test]
    fn first_label_of_an_unknown_host() {
        assert_eq!(project_from_host("p.example.test:9", &[]), Some("p"));
    }

    #[test]
    fn ports_are_stripped() {
        assert_eq!(strip_port("a.b:80"), "a.b");
        assert_eq!(strip_port("a.b"), "a.b");
        assert_eq!(strip_port("[::1]:80"), "[::1]");
    }
}
