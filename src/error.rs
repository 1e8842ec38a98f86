//! One error type for the web layer and services, mapped centrally to HTTP.
//!
//! Handlers return `Result<_, AppError>`; [`AppError::error_response`] sets the status and
//! [`crate::web::errors::render_errors`] turns it into a full page or an htmx fragment.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use diesel::result::Error as DieselError;

#[derive(thiserror::Error)]
pub enum AppError {
    /// Input the user can fix; the message is shown to them.
    #[error("{0}")]
    Validation(String),
    #[error("Not found")]
    NotFound,
    #[error("You do not have access to this page")]
    Forbidden,
    /// An action the user's role may not take here; the message says what and who may.
    #[error("{0}")]
    NotAllowed(&'static str),
    #[error("Please log in")]
    Unauthenticated,
    /// No team exists yet: every page leads to creating the first admin.
    #[error("Create the first admin account to start")]
    SetupRequired,
    /// The request conflicts with the current state; the message is shown.
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    TooManyRequests(String),
    /// A forged or stale form (CSRF); never explained in more detail.
    #[error("This form has expired or did not come from voxdial. Reload the page and try again.")]
    CsrfRejected,
    /// Something we depend on is briefly unavailable (database busy, pool exhausted).
    #[error("voxdial is busy right now; please try again in a moment")]
    Unavailable(#[source] anyhow::Error),
    #[error("Something went wrong on our side")]
    Unexpected(#[from] anyhow::Error),
}

impl AppError {
    pub fn validation(message: impl Into<String>) -> Self {
        AppError::Validation(message.into())
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        AppError::Conflict(message.into())
    }

    /// The message of an error the user can fix (bad input, a name already taken), for
    /// showing the form again beside it; `None` for anything else.
    pub fn user_message(&self) -> Option<String> {
        match self {
            AppError::Validation(message) | AppError::Conflict(message) => Some(message.clone()),
            _ => None,
        }
    }

    /// The error with its causes on one line (`a: b: c`), for records admins read; never
    /// shown to users (causes may name internals).
    pub fn with_causes(&self) -> String {
        let mut text = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        text
    }

    /// A short title for error pages.
    pub fn title(&self) -> &'static str {
        match self {
            AppError::Validation(_) => "Please check your input",
            AppError::NotFound => "Not found",
            AppError::Forbidden => "Forbidden",
            AppError::NotAllowed(_) => "Not allowed for your role",
            AppError::Unauthenticated => "Login required",
            AppError::SetupRequired => "Setup required",
            AppError::Conflict(_) => "Not possible right now",
            AppError::TooManyRequests(_) => "Too many attempts",
            AppError::CsrfRejected => "Request rejected",
            AppError::Unavailable(_) => "Temporarily unavailable",
            AppError::Unexpected(_) => "Unexpected error",
        }
    }
}

impl std::fmt::Debug for AppError {
    // The whole cause chain, for logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{self}")?;
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            writeln!(f, "Caused by: {cause}")?;
            source = cause.source();
        }
        if let AppError::Unexpected(e) | AppError::Unavailable(e) = self {
            write!(f, "{e:?}")?;
        }
        Ok(())
    }
}

impl From<DieselError> for AppError {
    fn from(err: DieselError) -> Self {
        match err {
            DieselError::NotFound => AppError::NotFound,
            DieselError::DatabaseError(_, ref info) if is_busy(info.message()) => {
                AppError::Unavailable(anyhow::Error::new(err))
            }
            other => AppError::Unexpected(anyhow::Error::new(other).context("database query failed")),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(err: askama::Error) -> Self {
        AppError::Unexpected(anyhow::Error::new(err).context("rendering a template"))
    }
}

fn is_busy(message: &str) -> bool {
    message.contains("database is locked") || message.contains("database is busy")
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden | AppError::NotAllowed(_) | AppError::CsrfRejected => StatusCode::FORBIDDEN,
            AppError::Unauthenticated | AppError::SetupRequired => StatusCode::UNAUTHORIZED,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            AppError::Unexpected(_) | AppError::Unavailable(_) => {
                tracing::error!(error = ?self, "request failed");
            }
            _ => tracing::debug!(error = %self, "request refused"),
        }
        // A plain body; the error-page middleware replaces it with a page or a fragment.
        HttpResponse::build(self.status_code()).content_type("text/plain; charset=utf-8").body(self.to_string())
    }
}
