//! The `Authorization` header of a signed request, in its two forms:
//!
//! ```text
//! v1:  LOG <AccessKeyId>:<base64 signature>            (older SDKs write SLS for LOG)
//! v4:  SLS4-HMAC-SHA256 Credential=<AccessKeyId>/<YYYYMMDD>/<region>/sls/aliyun_v4_request,Signature=<hex>
//! ```

/// The v4 algorithm name, first word of its header and first line of its string to sign.
pub(crate) const V4_ALGORITHM: &str = "SLS4-HMAC-SHA256";
/// The service and terminator that end a v4 credential scope.
pub(crate) const V4_SCOPE_TAIL: [&str; 2] = ["sls", "aliyun_v4_request"];

/// A parsed `Authorization` header; the signature is not decoded yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Authorization<'a> {
    V1 {
        access_key_id: &'a str,
        signature: &'a str,
    },
    V4 {
        access_key_id: &'a str,
        /// The scope date, `YYYYMMDD` (checked against `x-log-date` later).
        date: &'a str,
        region: &'a str,
        signature: &'a str,
    },
}

impl<'a> Authorization<'a> {
    /// The header's fields, or `None` if it has neither form.
    pub(crate) fn parse(value: &'a str) -> Option<Self> {
        let (scheme, rest) = value.trim().split_once(' ')?;
        let rest = rest.trim();
        match scheme {
            "LOG" | "SLS" => {
                let (access_key_id, signature) = rest.rsplit_once(':')?;
                (!access_key_id.is_empty()).then_some(Self::V1 {
                    access_key_id,
                    signature,
                })
            }
            V4_ALGORITHM => Self::parse_v4(rest),
            _ => None,
        }
    }

    fn parse_v4(rest: &'a str) -> Option<Self> {
        let mut credential = None;
        let mut signature = None;
        for part in rest.split(',') {
            let (name, value) = part.trim().split_once('=')?;
            let slot = match name {
                "Credential" => &mut credential,
                "Signature" => &mut signature,
                _ => return None,
            };
            if slot.replace(value).is_some() {
                return None;
            }
        }
        let scope: Vec<&str> = credential?.split('/').collect();
        let [access_key_id, date, region, service, terminator] = scope[..] else {
            return None;
        };
        if access_key_id.is_empty() || region.is_empty() || [service, terminator] != V4_SCOPE_TAIL {
            return None;
        }
        Some(Self::V4 {
            access_key_id,
            date,
            region,
            signature: signature?,
        })
    }

    /// The AccessKey ID the request claims.
    pub(crate) fn access_key_id(&self) -> &'a str {
        match *self {
            Self::V1 { access_key_id, .. } | Self::V4 { access_key_id, .. } => access_key_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms() {
        assert_eq!(
            Authorization::parse("LOG testAccessKeyId:b4jgkxeWHT817HMdN88dbXtTuQs="),
            Some(Authorization::V1 {
                access_key_id: "testAccessKeyId",
                signature: "b4jgkxeWHT817HMdN88dbXtTuQs="
            })
        );
        assert_eq!(
            Authorization::parse("SLS mockAccessKeyID:Rwm6cTKzoti4HWoe+GKcb6Kv07E=")
                .map(|a| a.access_key_id()),
            Some("mockAccessKeyID")
        );
        assert_eq!(
            Authorization::parse(
                "SLS4-HMAC-SHA256 Credential=acsddda21dsd/20220808/cn-shanghai/sls/aliyun_v4_request,Signature=8a10"
            ),
            Some(Authorization::V4 {
                access_key_id: "acsddda21dsd",
                date: "20220808",
                region: "cn-shanghai",
                signature: "8a10"
            })
        );
        // Spaces around the parts are tolerated.
        assert_eq!(
            Authorization::parse(
                "  SLS4-HMAC-SHA256  Credential=id/20220808/r/sls/aliyun_v4_request, Signature=ab "
            )
            .map(|a| a.access_key_id()),
            Some("id")
        );
    }

    #[test]
    fn malformed_headers() {
        for bad in [
            "",
            "LOG",
            "LOG :sig",
            "LOG idsig",
            "Bearer abc",
            "Basic dXNlcjpwYXNz",
            "SLS4-HMAC-SHA256 Credential=id/20220808/r/sls/aliyun_v4_request",
            "SLS4-HMAC-SHA256 Signature=ab",
            "SLS4-HMAC-SHA256 Credential=id/20220808/r/oss/aliyun_v4_request,Signature=ab",
            "SLS4-HMAC-SHA256 Credential=id/20220808/r/sls/aliyun_v4_request/x,Signature=ab",
            "SLS4-HMAC-SHA256 Credential=id/20220808/r/sls,Signature=ab",
            "SLS4-HMAC-SHA256 Credential=/20220808/r/sls/aliyun_v4_request,Signature=ab",
            "SLS4-HMAC-SHA256 Credential=id/20220808//sls/aliyun_v4_request,Signature=ab",
            "SLS4-HMAC-SHA256 Credential=id/20220808/r/sls/aliyun_v4_request,Signature=ab,Signature=cd",
            "SLS4-HMAC-SHA256 Credential=id/20220808/r/sls/aliyun_v4_request,Other=ab",
        ] {
            assert_eq!(Authorization::parse(bad), None, "{bad:?}");
        }
    }
}
