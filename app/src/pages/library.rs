//! `/agents` in the live profile (L4): the user's library agents, and the chosen one's form
//! generated from its `input_schema` with its credentials fields. Rendered on the server and
//! posted as a plain form, so it works before WASM loads; a refused start comes back with
//! the message and each field's problem beside it (`?error=…&field.<name>=…`).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::runs::{AgentFormView, CredentialFieldView, FieldControl, FieldView, LibraryPage, form, load_library};
use crate::components::layout::SignInFirst;

/// The live agents page.
#[component]
pub fn LibraryAgents() -> impl IntoView {
    let query = use_query_map().get_untracked();
    let agent = query.get(form::AGENT).filter(|a| !a.trim().is_empty());
    let error = query.get("error");
    let data = Resource::new(move || agent.clone(), load_library);
    view! {
        <h1>"Run an agent"</h1>
        <Suspense fallback=|| view! { <p class="muted">"Loading..."</p> }>
            {move || Suspend::new({
                let (query, error) = (query.clone(), error.clone());
                async move {
                    let page: LibraryPage = data.await.unwrap_or_default();
                    if page.session.is_none() {
                        return view! { <SignInFirst /> }.into_any();
                    }
                    let banner = error.or(page.error.clone())
                        .map(|e| view! { <div class="banner banner-error" role="alert" id="run-error">{e}</div> });
                    let chosen = page.form.as_ref().map(|f| f.agent.id.clone());
                    view! {
                        {banner}
                        <div class="library">
                            <nav class="card library-list" aria-label="Your agents">
                                <h2>"Your library"</h2>
                                {if page.agents.is_empty() {
                                    view! { <p class="muted">"No agents in your AutoGPT library yet."</p> }.into_any()
                                } else {
                                    view! { <ul class="agent-list">{page.agents.iter().map(|a| {
                                        let current = chosen.as_deref() == Some(a.id.as_str());
                                        view! {
                                            <li>
                                                <a href=format!("/agents?agent={}", a.id) aria-current=current.then_some("page")
                                                    data-agent-id=a.id.clone()>
                                                    <strong>{a.name.clone()}</strong>
                                                </a>
                                                <br /><small class="muted">{a.description.clone()}</small>
                                            </li>
                                        }
                                    }).collect_view()}</ul> }.into_any()
                                }}
                            </nav>
                            {page.form.map(|f| view! { <AgentForm form=f query=query.clone() /> })}
                        </div>
                    }.into_any()
                }
            })}
        </Suspense>
    }
}

/// What a refused start sent back: the field's problem and the text typed.
fn echo(query: &leptos_router::params::ParamsMap, prefix: &str, name: &str) -> Option<String> {
    query.get(&format!("{prefix}{name}"))
}

#[component]
fn AgentForm(form: AgentFormView, query: leptos_router::params::ParamsMap) -> impl IntoView {
    let (basic, advanced): (Vec<FieldView>, Vec<FieldView>) = form.fields.into_iter().partition(|f| !f.advanced);
    let render = |fields: Vec<FieldView>, query: &leptos_router::params::ParamsMap| {
        fields
            .into_iter()
            .map(|f| {
                let problem = echo(query, form::FIELD_ERROR, &f.name);
                let value = echo(query, form::VALUE, &f.name);
                view! { <Field field=f problem=problem value=value /> }
            })
            .collect_view()
    };
    let has_advanced = !advanced.is_empty();
    let credentials = form
        .credentials
        .into_iter()
        .map(|c| {
            let problem = echo(&query, form::FIELD_ERROR, &format!("{}{}", form::CREDENTIAL, c.field_name));
            view! { <CredentialField field=c problem=problem /> }
        })
        .collect_view();
    view! {
        <form id="agent-form" class="card agent-form" method="post" action=form::START_PATH
            data-agent-id=form.agent.id.clone()>
            <h2>{form.agent.name.clone()}</h2>
            <p class="muted">{form.agent.description.clone()}</p>
            <input type="hidden" name=form::AGENT value=form.agent.id.clone() />
            <input type="hidden" name=form::ACTION value=form.action.clone() />
            {render(basic, &query)}
            {has_advanced.then(|| view! {
                <details class="advanced">
                    <summary>"Advanced"</summary>
                    {render(advanced, &query)}
                </details>
            })}
            {credentials}
            <button class="btn btn-primary" type="submit" id="run-agent">"Run agent"</button>
        </form>
    }
}

#[component]
fn Field(field: FieldView, problem: Option<String>, value: Option<String>) -> impl IntoView {
    let id = format!("field-{}", field.name);
    let name = format!("{}{}", if field.secret { form::SECRET } else { form::INPUT }, field.name);
    let value = if field.secret { String::new() } else { value.unwrap_or_else(|| field.default.clone()) };
    let described = format!("{id}-help");
    let invalid = problem.is_some().then_some("true");
    let label = view! {
        <label for=id.clone()>
            {field.label.clone()}
            {field.required.then(|| view! { <span class="required" title="required">" *"</span> })}
        </label>
    };
    let control = match field.control {
        FieldControl::Text => view! {
            <input id=id.clone() name=name type=if field.secret { "password" } else { "text" } value=value
                required=field.required aria-invalid=invalid aria-describedby=described.clone()
                autocomplete=field.secret.then_some("off") />
        }.into_any(),
        FieldControl::LongText => view! {
            <textarea id=id.clone() name=name rows="4" required=field.required aria-invalid=invalid
                aria-describedby=described.clone()>{value}</textarea>
        }.into_any(),
        FieldControl::Number | FieldControl::Integer => view! {
            <input id=id.clone() name=name type="number" value=value
                step=if field.control == FieldControl::Integer { "1" } else { "any" }
                required=field.required aria-invalid=invalid aria-describedby=described.clone() />
        }.into_any(),
        FieldControl::Boolean => view! {
            <input id=id.clone() name=name type="checkbox" value="true" checked=value == "true"
                aria-invalid=invalid aria-describedby=described.clone() />
        }.into_any(),
        FieldControl::Enum => view! {
            <select id=id.clone() name=name required=field.required aria-invalid=invalid aria-describedby=described.clone()>
                {(!field.required).then(|| view! { <option value="">"—"</option> })}
                {field.options.iter().map(|o| view! { <option value=o.clone() selected=*o == value>{o.clone()}</option> }).collect_view()}
            </select>
        }.into_any(),
        FieldControl::Json => view! {
            <textarea id=id.clone() name=name rows="3" class="json" spellcheck="false" required=field.required
                aria-invalid=invalid aria-describedby=described.clone()>{value}</textarea>
        }.into_any(),
        FieldControl::File | FieldControl::Unsupported => view! {
            <input id=id.clone() type="text" disabled=true aria-describedby=described.clone() />
        }.into_any(),
    };
    view! {
        <div class="field" data-field=field.name.clone() data-kind=format!("{:?}", field.control).to_lowercase()>
            {label}
            {control}
            <small id=described class="muted">
                {field.description.clone()}
                {field.note.clone().map(|n| view! { " " <span class="note">{n}</span> })}
            </small>
            {problem.map(|p| view! { <small class="error-text field-error" role="alert">{p}</small> })}
        </div>
    }
}

#[component]
fn CredentialField(field: CredentialFieldView, problem: Option<String>) -> impl IntoView {
    let id = format!("credential-{}", field.field_name);
    let name = format!("{}{}", form::CREDENTIAL, field.field_name);
    let provider = field.provider.clone();
    view! {
        <div class="field credential" data-credential=field.field_name.clone() data-provider=provider.clone()>
            <label for=id.clone()>{format!("{provider} account")}<span class="required">" *"</span></label>
            {if field.choices.is_empty() {
                view! {
                    <p class="banner banner-error" role="alert">
                        {format!("This agent needs a {provider} account. ")}
                        <a class="btn" href=format!("/connect?provider={provider}")>{format!("Connect {provider}")}</a>
                    </p>
                }.into_any()
            } else {
                view! {
                    <select id=id name=name>
                        {field.choices.iter().map(|(value, label)| view! { <option value=value.clone()>{label.clone()}</option> }).collect_view()}
                    </select>
                }.into_any()
            }}
            {problem.map(|p| view! { <small class="error-text field-error" role="alert">{p}</small> })}
        </div>
    }
}
