//! The data of one plugin store: the WASI context (no env, files or sockets), the memory limiter,
//! the CPU budget, captured output, and the host side of the `http` and `log` imports.

use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use super::bindings::latest::{http, log, types};
use super::guest_output::GuestOutput;
use super::limits::{MemoryCap, SandboxLimits};
use crate::egress::{CredentialUse, EgressError, EgressRequest, SourceEgress};

/// At most this many requests of one `send-all` run at once.
const SEND_ALL_CONCURRENCY: usize = 8;
/// Longest log message kept from a plugin; the rest is cut.
const MAX_LOG_MESSAGE: usize = 4096;

/// Masks values a plugin marked `identifying`, per the operator's diagnostics policy.
pub type IdentifyingMask = Arc<dyn Fn(&str) -> String + Send + Sync>;

/// Who a store works for, for its log lines and network access.
#[derive(Clone)]
pub struct TaskContext {
    /// The tenant's name.
    pub tenant: String,
    /// The tenant's egress; `None` denies every request (e.g. `describe` at load time).
    pub egress: Option<Arc<SourceEgress>>,
    /// Applied to `identifying` log fields.
    pub mask: IdentifyingMask,
}

impl TaskContext {
    /// A context without network access, for calls that need none.
    pub fn offline(tenant: impl Into<String>) -> Self {
        Self {
            tenant: tenant.into(),
            egress: None,
            mask: Arc::new(str::to_owned),
        }
    }
}

/// Store data of one plugin task.
pub struct RunState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) memory: MemoryCap,
    pub(crate) output: GuestOutput,
    pub(crate) context: TaskContext,
    pub(crate) plugin: String,
    /// Epoch ticks of guest execution left in the current call.
    pub(crate) cpu_ticks_left: u64,
    pub(crate) log_lines_left: u32,
    pub(crate) log_lines_dropped: u32,
    limits: SandboxLimits,
}

impl RunState {
    pub(crate) fn new(plugin: String, context: TaskContext, limits: SandboxLimits) -> Self {
        let output = GuestOutput::new(limits.output_bytes);
        // Nothing is inherited: no environment, no arguments, no preopened directories, no
        // network. Random and clocks stay, because Rust's std needs them.
        let wasi = WasiCtxBuilder::new()
            .stdout(output.clone())
            .stderr(output.clone())
            .build();
        Self {
            wasi,
            table: ResourceTable::new(),
            memory: MemoryCap::new(limits.memory_bytes),
            output,
            context,
            plugin,
            cpu_ticks_left: 0,
            log_lines_left: limits.log_lines_per_call,
            log_lines_dropped: 0,
            limits,
        }
    }

    /// Resets the per-call budgets before a call.
    pub(crate) fn start_call(&mut self, cpu_ticks: u64) {
        self.cpu_ticks_left = cpu_ticks;
        self.log_lines_left = self.limits.log_lines_per_call;
        self.log_lines_dropped = 0;
    }
}

impl WasiView for RunState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl types::Host for RunState {}

impl http::Host for RunState {
    async fn send(&mut self, request: http::Request) -> Result<http::Response, http::HttpError> {
        let egress = self.context.egress.clone();
        send_one(egress, request).await
    }

    async fn send_all(
        &mut self,
        requests: Vec<http::Request>,
    ) -> Vec<Result<http::Response, http::HttpError>> {
        let egress = self.context.egress.clone();
        futures::stream::iter(requests)
            .map(|request| send_one(egress.clone(), request))
            .buffered(SEND_ALL_CONCURRENCY)
            .collect()
            .await
    }
}

async fn send_one(
    egress: Option<Arc<SourceEgress>>,
    request: http::Request,
) -> Result<http::Response, http::HttpError> {
    let Some(egress) = egress else {
        return Err(http::HttpError::Denied(format!(
            "{}: this call has no network access",
            request.url
        )));
    };
    let response = egress
        .send(egress_request(request))
        .await
        .map_err(wit_http_error)?;
    Ok(http::Response {
        status: response.status,
        headers: response.headers,
        body: response.body.to_vec(),
    })
}

fn egress_request(request: http::Request) -> EgressRequest {
    let method = match request.method {
        http::Method::Get => reqwest::Method::GET,
        http::Method::Head => reqwest::Method::HEAD,
        http::Method::Post => reqwest::Method::POST,
        http::Method::Put => reqwest::Method::PUT,
        http::Method::Patch => reqwest::Method::PATCH,
        http::Method::Delete => reqwest::Method::DELETE,
    };
    EgressRequest {
        method,
        url: request.url,
        headers: request.headers,
        body: request.body.map(Bytes::from),
        credentials: match request.credentials {
            http::Credentials::Tenant => CredentialUse::Tenant,
            http::Credentials::None => CredentialUse::None,
        },
        max_body_bytes: request.max_body_bytes,
        endpoint: request.endpoint,
    }
}

fn wit_http_error(error: EgressError) -> http::HttpError {
    match error {
        denied @ EgressError::Denied { .. } => http::HttpError::Denied(denied.to_string()),
        EgressError::InvalidRequest(why) => http::HttpError::InvalidRequest(why),
        EgressError::Timeout { .. } => http::HttpError::Timeout,
        EgressError::TooLarge(cap) => http::HttpError::TooLarge(cap),
        EgressError::TooManyRedirects => http::HttpError::TooManyRedirects,
        transport @ (EgressError::Transport(_) | EgressError::Credentials(_)) => {
            http::HttpError::Transport(transport.to_string())
        }
    }
}

impl log::Host for RunState {
    async fn log(&mut self, level: log::Level, message: String, fields: Vec<log::Field>) {
        if self.log_lines_left == 0 {
            self.log_lines_dropped += 1;
            return;
        }
        self.log_lines_left -= 1;
        let mut message = message;
        if message.len() > MAX_LOG_MESSAGE {
            let cut = (0..=MAX_LOG_MESSAGE)
                .rev()
                .find(|&i| message.is_char_boundary(i))
                .unwrap_or(0);
            message.truncate(cut);
            message.push('…');
        }
        let fields = render_fields(&fields, &self.context.mask);
        let tenant = self.context.tenant.as_str();
        let plugin = self.plugin.as_str();
        match level {
            log::Level::Trace => tracing::trace!(tenantName = tenant, plugin, fields, "{message}"),
            log::Level::Debug => tracing::debug!(tenantName = tenant, plugin, fields, "{message}"),
            log::Level::Info => tracing::info!(tenantName = tenant, plugin, fields, "{message}"),
            log::Level::Warn => tracing::warn!(tenantName = tenant, plugin, fields, "{message}"),
            log::Level::Error => tracing::error!(tenantName = tenant, plugin, fields, "{message}"),
        }
    }
}

fn render_fields(fields: &[log::Field], mask: &IdentifyingMask) -> String {
    fields
        .iter()
        .map(|field| {
            let value = match field.visibility {
                log::Visibility::Plain => field.value.clone(),
                log::Visibility::Identifying => mask(&field.value),
            };
            format!("{}={}", field.name, value)
        })
        .collect::<Vec<_>>()
        .join(" ")
}
