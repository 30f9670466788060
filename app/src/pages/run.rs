//! `/executions/{id}`: one run in full, on both profiles (L5, L6): status (live), start time,
//! duration, cost, inputs, every output as the list it is, block errors (a completed run with
//! some is a warning), the reviews waiting for the user with one form answering them all,
//! Stop while it runs; in the guide profile the webhook deliveries received for it.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::runs::{ReviewView, RunPage, RunView, form, load_run};
use crate::components::layout::SignInFirst;
use crate::islands::data::{IslandData, ids};
use crate::islands::run_live::{RunLive, RunLiveData};

/// The run page.
#[component]
pub fn RunPageView() -> impl IntoView {
    let id = use_params_map().get_untracked().get("id").unwrap_or_default();
    let error = use_query_map().get_untracked().get("error");
    let data = Resource::new(move || id.clone(), load_run);
    view! {
        <p><a href="/executions">"← All runs"</a></p>
        <Suspense fallback=|| view! { <p class="muted">"Loading..."</p> }>
            {move || Suspend::new({
                let error = error.clone();
                async move {
                    let page: RunPage = data.await.unwrap_or_default();
                    if page.session.is_none() {
                        return view! { <SignInFirst /> }.into_any();
                    }
                    let banner = error.or(page.error.clone())
                        .map(|e| view! { <div class="banner banner-error" role="alert" id="run-error">{e}</div> });
                    view! { {banner} {page.run.map(|run| view! { <RunDetail run=run /> })} }.into_any()
                }
            })}
        </Suspense>
    }
}

#[component]
fn RunDetail(run: RunView) -> impl IntoView {
    let warning = (run.status == "completed" && !run.block_errors.is_empty()).then(|| {
        view! {
            <div class="banner banner-warning" role="status" id="run-warning">
                "Completed, but some steps failed:"
                <ul>{run.block_errors.iter().map(|e| view! { <li>{e.clone()}</li> }).collect_view()}</ul>
            </div>
        }
    });
    let failure = (run.status != "completed" && (run.error.is_some() || !run.block_errors.is_empty())).then(|| {
        view! {
            <div class="banner banner-error" role="alert" id="run-failure">
                {run.error.clone()}
                <ul>{run.block_errors.iter().map(|e| view! { <li>{e.clone()}</li> }).collect_view()}</ul>
            </div>
        }
    });
    let stop = (!run.terminal && run.stoppable).then(|| {
        view! {
            <form method="post" action=form::stop_path(&run.id)>
                <button class="btn" type="submit" id="stop-run">"Stop"</button>
            </form>
        }
    });
    let reviews =
        (!run.reviews.is_empty()).then(|| view! { <Reviews run=run.id.clone() reviews=run.reviews.clone() /> });
    let outputs = if run.outputs.is_empty() {
        view! { <p class="muted">{if run.terminal { "No outputs." } else { "Outputs appear when the run produces them." }}</p> }.into_any()
    } else {
        view! {
            <dl class="outputs" id="run-outputs">
                {run.outputs.iter().map(|(name, values)| view! {
                    <dt>{name.clone()}</dt>
                    <dd><ol class="output-values" data-output=name.clone()>
                        {values.iter().map(|v| view! { <li><pre>{v.clone()}</pre></li> }).collect_view()}
                    </ol></dd>
                }).collect_view()}
            </dl>
        }
        .into_any()
    };
    view! {
        <section class="card run" data-run-id=run.id.clone()>
            <h1>"Run " <code>{run.id.clone()}</code></h1>
            <p>
                "Status: "
                <IslandData id=ids::RUN value=RunLiveData { id: run.id.clone(), status: run.status.clone(), terminal: run.terminal }>
                    <RunLive />
                </IslandData>
            </p>
            <table class="table facts">
                <tbody>
                    <tr><th scope="row">"Agent"</th><td>{run.agent.clone()}</td></tr>
                    <tr><th scope="row">"Started"</th><td>{run.started.clone().unwrap_or_else(|| "–".into())}</td></tr>
                    <tr><th scope="row">"Duration"</th><td id="run-duration">{run.duration.clone().unwrap_or_else(|| "–".into())}</td></tr>
                    {run.cost.clone().map(|c| view! { <tr><th scope="row">"Cost"</th><td id="run-cost">{c}</td></tr> })}
                </tbody>
            </table>
            {stop}
            {warning}
            {failure}
            {reviews}
            <h2>"Outputs"</h2>
            {outputs}
            <h2>"Inputs"</h2>
            <dl class="inputs">
                {run.inputs.iter().map(|(k, v)| view! { <dt>{k.clone()}</dt><dd><pre>{v.clone()}</pre></dd> }).collect_view()}
            </dl>
            {(!run.events.is_empty()).then(|| view! {
                <h2>"Webhook deliveries"</h2>
                <ul>{run.events.iter().map(|e| view! { <li>{e.event.clone()}{e.gave_up.then_some(" (gave up)")}</li> }).collect_view()}</ul>
            })}
        </section>
    }
}

/// Every waiting review of the run, answered together in one request.
#[component]
fn Reviews(run: String, reviews: Vec<ReviewView>) -> impl IntoView {
    view! {
        <form id="review-form" class="reviews" method="post" action=form::reviews_path(&run)>
            <h2>"Waiting for your review"</h2>
            {reviews.into_iter().map(|r| {
                let decision = format!("{}{}", form::DECISION, r.id);
                view! {
                    <fieldset class="review" data-review-id=r.id.clone()>
                        <legend>{r.instructions.clone().unwrap_or_else(|| "Check this step before the run goes on.".into())}</legend>
                        {if r.editable {
                            view! {
                                <label for=format!("payload-{}", r.id)>"Data (you may edit it before approving)"</label>
                                <textarea id=format!("payload-{}", r.id) name=format!("{}{}", form::PAYLOAD, r.id)
                                    class="json" rows="6" spellcheck="false">{r.payload.clone()}</textarea>
                            }.into_any()
                        } else {
                            view! { <pre class="payload">{r.payload.clone()}</pre> }.into_any()
                        }}
                        <label class="choice"><input type="radio" name=decision.clone() value="approve" checked=true />"Approve"</label>
                        <label class="choice"><input type="radio" name=decision value="reject" />"Reject"</label>
                        <label for=format!("message-{}", r.id)>"Message (optional)"</label>
                        <input type="text" id=format!("message-{}", r.id) name=format!("{}{}", form::MESSAGE, r.id) maxlength="2000" />
                    </fieldset>
                }
            }).collect_view()}
            <button class="btn btn-primary" type="submit" id="submit-reviews">"Send review"</button>
        </form>
    }
}
