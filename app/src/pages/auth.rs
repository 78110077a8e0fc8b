//! Log in and sign up. Plain HTML forms posting to `/auth/*`: they work before the page has
//! hydrated and without JavaScript; errors come back as a `?error=` code.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use protocol::limits::{PASSWORD_CHARS_MIN, USERNAME_CHARS_MAX, USERNAME_CHARS_MIN};

fn message(code: &str) -> &'static str {
    match code {
        "invalid_username" => "Usernames are 3 to 20 letters, digits or underscores.",
        "weak_password" => "Passwords need at least 8 characters.",
        "username_taken" => "That username is taken.",
        "invalid_credentials" => "Wrong username or password.",
        "throttled" => "Too many attempts. Wait a moment and try again.",
        "forbidden_origin" => "This form was sent from another site and was refused.",
        _ => "Something went wrong. Please try again.",
    }
}

#[component]
fn AuthForm(
    action: &'static str,
    title: &'static str,
    submit: &'static str,
    new_password: bool,
) -> impl IntoView {
    let query = use_query_map();
    let error = move || query.read().get("error").map(|code| message(&code));
    view! {
        <section class="card auth">
            <h1>{title}</h1>
            <form method="post" action=action>
                <label for="username">"Username"</label>
                <input
                    id="username"
                    name="username"
                    autocomplete="username"
                    required
                    minlength=USERNAME_CHARS_MIN
                    maxlength=USERNAME_CHARS_MAX
                />
                <label for="password">"Password"</label>
                <input
                    id="password"
                    name="password"
                    type="password"
                    autocomplete=if new_password { "new-password" } else { "current-password" }
                    required
                    minlength=if new_password { PASSWORD_CHARS_MIN } else { 1 }
                />
                {move || error().map(|m| view! { <p class="error" role="alert">{m}</p> })}
                <button type="submit">{submit}</button>
            </form>
        </section>
    }
}

/// `/login`
#[component]
pub fn Login() -> impl IntoView {
    view! {
        <AuthForm action="/auth/login" title="Log in" submit="Log in" new_password=false/>
        <p class="center">"New here? " <a href="/register">"Sign up"</a></p>
    }
}

/// `/register`
#[component]
pub fn Register() -> impl IntoView {
    view! {
        <AuthForm action="/auth/register" title="Create your account" submit="Create account" new_password=true/>
        <p class="center muted">"New accounts start with 1,000.00 credits."</p>
        <p class="center">"Already playing? " <a href="/login">"Log in"</a></p>
    }
}
