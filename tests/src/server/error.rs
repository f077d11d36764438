//! SLS error answers: HTTP status, `errorCode` and `errorMessage`.

use core::fmt;

/// An error answer exactly as SLS sends it: an HTTP status and a JSON body
/// `{"errorCode": "...", "errorMessage": "..."}`.
///
/// The constructors below are the codes this server produces, each with the status SLS uses
/// for it (see the table in `tests/README.md`). [`SlsError::new`] builds any other answer,
/// e.g. for scripted faults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlsError {
    /// HTTP status code.
    pub status: u16,
    /// The `errorCode` field, e.g. `SignatureNotMatch`.
    pub code: String,
    /// The `errorMessage` field.
    pub message: String,
}

impl SlsError {
    /// Any status, code and message.
    pub fn new(status: u16, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
        }
    }

    /// The JSON body SLS sends with an error.
    pub fn to_json(&self) -> String {
        serde_json::json!({ "errorCode": self.code, "errorMessage": self.message }).to_string()
    }

    /// 400 `MissingAPIVersion`.
    pub fn missing_api_version() -> Self {
        Self::new(
            400,
            "MissingAPIVersion",
            "x-log-apiversion does not exist in http header",
        )
    }

    /// 400 `InvalidAPIVersion`.
    pub fn invalid_api_version(v: &str) -> Self {
        Self::new(
            400,
            "InvalidAPIVersion",
            format!("x-log-apiversion {v} is unsupported"),
        )
    }

    /// 400 `MissingContentType`.
    pub fn missing_content_type() -> Self {
        Self::new(
            400,
            "MissingContentType",
            "Content-Type does not exist in http header when body is not empty",
        )
    }

    /// 415 `InvalidContentType`.
    pub fn invalid_content_type(t: &str) -> Self {
        Self::new(
            415,
            "InvalidContentType",
            format!("Content-Type {t} is unsupported"),
        )
    }

    /// 400 `MissingBodyRawSize`.
    pub fn missing_body_raw_size() -> Self {
        Self::new(
            400,
            "MissingBodyRawSize",
            "x-log-bodyrawsize does not exist in header when it is necessary",
        )
    }

    /// 400 `InvalidBodyRawSize`.
    pub fn invalid_body_raw_size(v: &str) -> Self {
        Self::new(
            400,
            "InvalidBodyRawSize",
            format!("x-log-bodyrawsize {v} is invalid"),
        )
    }

    /// 400 `InvalidCompressType`.
    pub fn invalid_compress_type(t: &str) -> Self {
        Self::new(
            400,
            "InvalidCompressType",
            format!("x-log-compresstype {t} is unsupported"),
        )
    }

    /// 400 `InvalidHost`: the Host header names no project.
    pub fn invalid_host(host: &str) -> Self {
        Self::new(
            400,
            "InvalidHost",
            format!("Host {host} does not name a project ({{project}}.{{endpoint}} expected)"),
        )
    }

    /// 400 `MissingDate`.
    pub fn missing_date() -> Self {
        Self::new(400, "MissingDate", "Date does not exist in http header")
    }

    /// 400 `InvalidDateFormat`.
    pub fn invalid_date_format(d: &str) -> Self {
        Self::new(
            400,
            "InvalidDateFormat",
            format!("Date {d} must follow RFC822"),
        )
    }

    /// 400 `RequestTimeExpired`: the request date is too far from the server's clock.
    pub fn request_time_expired(request_time: &str, server_time: &str) -> Self {
        Self::new(
            400,
            "RequestTimeExpired",
            format!(
                "Request time {request_time} has been expired while server time is {server_time}"
            ),
        )
    }

    /// 400 `MissingSignatureMethod`.
    pub fn missing_signature_method() -> Self {
        Self::new(
            400,
            "MissingSignatureMethod",
            "x-log-signaturemethod does not exist in http header",
        )
    }

    /// 400 `InvalidSignatureMethod`.
    pub fn invalid_signature_method(m: &str) -> Self {
        Self::new(
            400,
            "InvalidSignatureMethod",
            format!("signature method {m} is unsupported"),
        )
    }

    /// 401 `Unauthorized`.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(401, "Unauthorized", message)
    }

    /// 401 `Unauthorized` for an AccessKey id the server does not know.
    pub fn access_key_not_found(id: &str) -> Self {
        Self::unauthorized(format!("AccessKeyId not found: {id}"))
    }

    /// 401 `SignatureNotMatch`. (SLS echoes the signature in the message; this server
    /// does not repeat any part of the `Authorization` header.)
    pub fn signature_not_match() -> Self {
        Self::new(
            401,
            "SignatureNotMatch",
            "signature not match: the request was altered or signed with another secret",
        )
    }

    /// 401 `SecurityTokenExpired`.
    pub fn security_token_expired() -> Self {
        Self::new(
            401,
            "SecurityTokenExpired",
            "The security token you provided has expired",
        )
    }

    /// 400 `InvalidContentMD5`: the Content-MD5 header does not match the body.
    pub fn invalid_content_md5(header: &str, actual: &str) -> Self {
        Self::new(
            400,
            "InvalidContentMD5",
            format!("Content-MD5 {header} does not match the md5 of the body, {actual}"),
        )
    }

    /// 400 `MissingContentMD5`: a signed v1 request with a body but no Content-MD5.
    pub fn missing_content_md5() -> Self {
        Self::new(
            400,
            "MissingContentMD5",
            "Content-MD5 does not exist in http header when body is not empty",
        )
    }

    /// 404 `ProjectNotExist`.
    pub fn project_not_exist(project: &str) -> Self {
        Self::new(
            404,
            "ProjectNotExist",
            format!("The Project does not exist : {project}"),
        )
    }

    /// 404 `LogStoreNotExist`.
    pub fn logstore_not_exist(logstore: &str) -> Self {
        Self::new(
            404,
            "LogStoreNotExist",
            format!("logstore {logstore} does not exist"),
        )
    }

    /// 400 `PostBodyInvalid`.
    pub fn post_body_invalid(why: impl fmt::Display) -> Self {
        Self::new(
            400,
            "PostBodyInvalid",
            format!("the post body is invalid: {why}"),
        )
    }

    /// 400 `PostBodyTooLarge`.
    pub fn post_body_too_large(why: impl fmt::Display) -> Self {
        Self::new(400, "PostBodyTooLarge", why.to_string())
    }

    /// 400 `PostBodyUncompressError`.
    pub fn post_body_uncompress_error(why: impl fmt::Display) -> Self {
        Self::new(
            400,
            "PostBodyUncompressError",
            format!("uncompress post body failed: {why}"),
        )
    }

    /// 400 `ParameterInvalid`.
    pub fn parameter_invalid(message: impl Into<String>) -> Self {
        Self::new(400, "ParameterInvalid", message)
    }

    /// 404 `NotSupported`: a method or path this server does not implement.
    pub fn not_supported(method: &str, path: &str) -> Self {
        Self::new(
            404,
            "NotSupported",
            format!("the local SLS server does not implement {method} {path}"),
        )
    }

    /// 403 `WriteQuotaExceed`.
    pub fn write_quota_exceed(message: impl Into<String>) -> Self {
        Self::new(403, "WriteQuotaExceed", message)
    }

    /// 500 `InternalServerError`.
    pub fn internal_server_error() -> Self {
        Self::new(500, "InternalServerError", "internal server error")
    }

    /// 503 `ServerBusy`.
    pub fn server_busy() -> Self {
        Self::new(503, "ServerBusy", "server is busy, please try again later")
    }
}

impl fmt::Display for SlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.message)
    }
}

impl core::error::Error for SlsError {}
