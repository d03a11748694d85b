//! The HTTP server (axum) on the pipeline's tokio runtime: routes, binding, and stopping
//! with the pipeline.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::error::StreamingError;

use super::{RETAINED_BATCHES, UiState, page};

/// A running server; dropping it stops it (open connections included).
pub struct UiServer {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl UiServer {
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for UiServer {
    fn drop(&mut self) {
        // Not a graceful shutdown: a browser's keep-alive connection must not keep a
        // stopped pipeline's process waiting.
        self.task.abort();
    }
}

pub(super) fn start(
    addr: &str,
    state: Arc<UiState>,
    runtime: &tokio::runtime::Handle,
) -> Result<UiServer, StreamingError> {
    // Bound here, synchronously, so that a port in use fails the start with a clear error
    // instead of surfacing later in a background task.
    let listener = std::net::TcpListener::bind(addr).map_err(|e| {
        let hint = match e.kind() {
            std::io::ErrorKind::AddrInUse => {
                "the port is in use (another pipeline, or Spark's UI?): choose another, e.g. `ui \"127.0.0.1:4041\";`"
            }
            _ => "give an address such as `ui \"127.0.0.1:4040\";`",
        };
        StreamingError::Config(format!("ui: cannot listen on {addr}: {e}; {hint}"))
    })?;
    let local = listener
        .local_addr()
        .map_err(|e| StreamingError::io(format!("ui: address of {addr}"), e))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| StreamingError::io(format!("ui: listening on {addr}"), e))?;
    let listener = {
        let _entered = runtime.enter();
        tokio::net::TcpListener::from_std(listener)
            .map_err(|e| StreamingError::io(format!("ui: listening on {addr}"), e))?
    };
    let app = router(state);
    let task = runtime.spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::warn!(error = %e, "the streaming page's server stopped");
        }
    });
    tracing::info!(url = %format!("http://{local}/"), "streaming page (and /metrics) served");
    Ok(UiServer { addr: local, task })
}

fn router(state: Arc<UiState>) -> Router {
    Router::new()
        .route("/", get(|| async { html(page::INDEX_HTML) }))
        .route("/metrics", get(metrics))
        .route("/api/batches", get(batches))
        .route(
            "/static/app.js",
            get(|| async { asset("text/javascript; charset=utf-8", page::APP_JS) }),
        )
        .route(
            "/static/style.css",
            get(|| async { asset("text/css; charset=utf-8", page::STYLE_CSS) }),
        )
        .route(
            "/static/uPlot.iife.min.js",
            get(|| async { asset("text/javascript; charset=utf-8", page::UPLOT_JS) }),
        )
        .route(
            "/static/uPlot.min.css",
            get(|| async { asset("text/css; charset=utf-8", page::UPLOT_CSS) }),
        )
        .route(
            "/static/uPlot-LICENSE",
            get(|| async { asset("text/plain; charset=utf-8", page::UPLOT_LICENSE) }),
        )
        .with_state(state)
}

fn html(body: &'static str) -> Response {
    asset("text/html; charset=utf-8", body)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

async fn metrics(State(state): State<Arc<UiState>>) -> Response {
    match super::metrics::render(&state) {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "encoding the metrics failed",
        )
            .into_response(),
    }
}

#[derive(serde::Deserialize)]
struct BatchesQuery {
    limit: Option<usize>,
}

async fn batches(State(state): State<Arc<UiState>>, Query(q): Query<BatchesQuery>) -> Response {
    let limit = q.limit.unwrap_or(page::DEFAULT_LIMIT).min(RETAINED_BATCHES);
    axum::Json(page::overview(&state, limit)).into_response()
}
