//! The project named by the `Host` header (`{project}.{endpoint}`), or by
//! `x-forwarded-host` for clients that cannot set `Host`.

/// The header that names the virtual host when `Host` cannot: `fetch` (browsers, workers,
/// Node, workerd) derives `Host` from the URL, so a client that connects to
/// `http://127.0.0.1:PORT` sends `Host: 127.0.0.1:PORT` and the intended
/// `{project}.127.0.0.1:PORT` as `x-forwarded-host`.
pub const FORWARDED_HOST: &str = "x-forwarded-host";

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

/// Make `headers` (lower-case names) carry the request's virtual host as `host`.
///
/// `Host` wins when it names a project. Otherwise, when the first value of
/// [`FORWARDED_HOST`] names one, that value replaces `host`, so that the project is read
/// from it and a v4 signature (which signs `host`) is verified against the host the client
/// signed. Anything else is left as it is (and refused later as `InvalidHost`).
pub(crate) fn apply_forwarded_host(headers: &mut Vec<(String, String)>, endpoint_hosts: &[String]) {
    let value = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    if value("host").is_some_and(|h| project_from_host(h, endpoint_hosts).is_some()) {
        return;
    }
    let Some(forwarded) = value(FORWARDED_HOST)
        .and_then(|v| v.split(',').next())
        .map(str::trim)
        .filter(|h| project_from_host(h, endpoint_hosts).is_some())
        .map(str::to_owned)
    else {
        return;
    };
    headers.retain(|(n, _)| n != "host");
    headers.push(("host".to_owned(), forwarded));
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

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn host_after(pairs: &[(&str, &str)]) -> Option<String> {
        let mut h = headers(pairs);
        apply_forwarded_host(&mut h, &known());
        let mut hosts = h.into_iter().filter(|(n, _)| n == "host").map(|(_, v)| v);
        let host = hosts.next();
        assert_eq!(hosts.next(), None, "one host header");
        host
    }

    #[test]
    fn forwarded_host_names_the_project_when_host_cannot() {
        let fetch = [
            ("host", "127.0.0.1:8080"),
            (FORWARDED_HOST, "p1.127.0.0.1:8080"),
        ];
        assert_eq!(host_after(&fetch).as_deref(), Some("p1.127.0.0.1:8080"));
        // Proxies append: the first value is the client's.
        let chained = [
            ("host", "127.0.0.1:8080"),
            (FORWARDED_HOST, " p1.127.0.0.1:8080 , proxy.example"),
        ];
        assert_eq!(host_after(&chained).as_deref(), Some("p1.127.0.0.1:8080"));
        let no_host = [(FORWARDED_HOST, "p1.localhost")];
        assert_eq!(host_after(&no_host).as_deref(), Some("p1.localhost"));
    }

    #[test]
    fn host_wins_and_useless_forwarded_hosts_change_nothing() {
        let both = [
            ("host", "p1.127.0.0.1:8080"),
            (FORWARDED_HOST, "p2.127.0.0.1:8080"),
        ];
        assert_eq!(host_after(&both).as_deref(), Some("p1.127.0.0.1:8080"));
        let bare = [
            ("host", "127.0.0.1:8080"),
            (FORWARDED_HOST, "127.0.0.1:8080"),
        ];
        assert_eq!(host_after(&bare).as_deref(), Some("127.0.0.1:8080"));
        assert_eq!(
            host_after(&[("host", "127.0.0.1:8080")]).as_deref(),
            Some("127.0.0.1:8080")
        );
        assert_eq!(host_after(&[]), None);
    }

    #[test]
    fn ports_are_stripped() {
        assert_eq!(strip_port("a.b:80"), "a.b");
        assert_eq!(strip_port("a.b"), "a.b");
        assert_eq!(strip_port("[::1]:80"), "[::1]");
    }
}
