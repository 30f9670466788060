//! The live profile's run forms (L4–L6), as plain same-origin form posts so they work before
//! and without WASM: start a run (`POST /api/autogpt/runs`), stop one and answer its reviews
//! (`POST /api/autogpt/runs/{id}/stop`, `…/reviews`). Each answers 303: to the run's page, or
//! back to the form with the message and the fields at fault in the query (never a secret
//! input's value). Field names are `app::api::runs::form`'s.

use app::api::runs::form;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use backend::services::library::{self, ReviewAnswer, RunStart};
use backend::{Caller, Mutate, ServiceError};
use url::form_urlencoded::Serializer;

use crate::{AppState, Error};

/// The form's fields, in the order sent (a name may repeat; the service refuses duplicates).
type Fields = Vec<(String, String)>;

/// A signed-out browser is sent to sign in; a cross-site post is refused (403).
fn refused(e: ServiceError) -> Response {
    match e {
        ServiceError::Unauthorized | ServiceError::ReconnectRequired => Redirect::to(&format!(
            "/connect?{}",
            Serializer::new(String::new()).append_pair("error", &e.to_string()).finish()
        ))
        .into_response(),
        e => Error::from(e).into_response(),
    }
}

/// Starts a run; a refused form goes back to `/agents` with what to fix.
pub async fn start(
    State(state): State<AppState>,
    caller: Result<Caller<Mutate>, ServiceError>,
    Form(fields): Form<Fields>,
) -> Response {
    let caller = match caller {
        Ok(c) => c,
        Err(e) => return refused(e),
    };
    let mut start = RunStart::default();
    for (name, value) in &fields {
        if name == form::AGENT {
            start.agent.clone_from(value);
        } else if name == form::ACTION {
            start.action.clone_from(value);
        } else if let Some(input) = name.strip_prefix(form::INPUT).or_else(|| name.strip_prefix(form::SECRET)) {
            start.values.push((input.to_owned(), value.clone()));
        } else if let Some(field) = name.strip_prefix(form::CREDENTIAL) {
            start.credentials.push((field.to_owned(), value.clone()));
        }
    }
    let agent = start.agent.clone();
    match library::start(&state.ctx, &caller, start).await {
        Ok(record) => back_to_run(record.execution_id.as_str(), None),
        Err(e) => {
            let mut query = Serializer::new(String::new());
            query.append_pair(form::AGENT, &agent).append_pair("error", &e.to_string());
            if let ServiceError::Invalid { fields: problems, .. } = &e {
                for (field, problem) in problems {
                    // Credential problems come named `credential.<field>`, inputs by their name.
                    query.append_pair(&format!("{}{field}", form::FIELD_ERROR), problem);
                }
            }
            // Give back what was typed, except secrets.
            for (name, value) in &fields {
                if let Some(input) = name.strip_prefix(form::INPUT)
                    && !value.is_empty()
                    && value.len() <= 2_000
                {
                    query.append_pair(&format!("{}{input}", form::VALUE), value);
                }
            }
            Redirect::to(&format!("/agents?{}", query.finish())).into_response()
        }
    }
}

/// Asks the platform to stop the run, then shows it.
pub async fn stop(
    State(state): State<AppState>,
    Path(id): Path<String>,
    caller: Result<Caller<Mutate>, ServiceError>,
) -> Response {
    let caller = match caller {
        Ok(c) => c,
        Err(e) => return refused(e),
    };
    let result = library::stop(&state.ctx, &caller, &id).await;
    back_to_run(&id, result.err())
}

/// Answers every waiting review of the run in one request, then shows it.
pub async fn reviews(
    State(state): State<AppState>,
    Path(id): Path<String>,
    caller: Result<Caller<Mutate>, ServiceError>,
    Form(fields): Form<Fields>,
) -> Response {
    let caller = match caller {
        Ok(c) => c,
        Err(e) => return refused(e),
    };
    let mut answers: Vec<ReviewAnswer> = Vec::new();
    let answer = |answers: &mut Vec<ReviewAnswer>, review: &str| -> usize {
        if let Some(i) = answers.iter().position(|a| a.review == review) {
            return i;
        }
        answers.push(ReviewAnswer {
            review: review.to_owned(),
            approve: false,
            payload: String::new(),
            message: String::new(),
        });
        answers.len() - 1
    };
    let mut decided = Vec::new();
    for (name, value) in &fields {
        if let Some(review) = name.strip_prefix(form::DECISION) {
            let i = answer(&mut answers, review);
            answers[i].approve = value == "approve";
            decided.push(review.to_owned());
        } else if let Some(review) = name.strip_prefix(form::PAYLOAD) {
            let i = answer(&mut answers, review);
            answers[i].payload.clone_from(value);
        } else if let Some(review) = name.strip_prefix(form::MESSAGE) {
            let i = answer(&mut answers, review);
            answers[i].message.clone_from(value);
        }
    }
    // A review the user did not decide on is not answered (the service names it).
    answers.retain(|a| decided.contains(&a.review));
    let result = library::answer_reviews(&state.ctx, &caller, &id, &answers).await;
    back_to_run(&id, result.err())
}

fn back_to_run(id: &str, error: Option<ServiceError>) -> Response {
    let page = form::run_page(&url::form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>());
    match error {
        None => Redirect::to(&page).into_response(),
        Some(e) => {
            let query = Serializer::new(String::new()).append_pair("error", &e.to_string()).finish();
            Redirect::to(&format!("{page}?{query}")).into_response()
        }
    }
}
