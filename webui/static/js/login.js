// The sign-in screen (#/login): the password goes to api/auth/login once
// and is kept nowhere; the server answers with a session cookie.

import { h, errorText } from "./ui.js";

export function mountLogin(el, ctx) {
  const { api } = ctx;
  ctx.setTitle("Sign in");
  if (!ctx.auth.required || ctx.auth.signedIn) {
    el.append(h("p", { class: "muted" }, "No sign-in is needed."), h("a", { class: "button", href: "#/" }, "Instances"));
    return null;
  }
  const password = h("input", {
    type: "password", testid: "login-password", autocomplete: "current-password", "aria-label": "Password", required: true,
  });
  const button = h("button", { type: "submit", class: "primary", testid: "login-submit" }, "Sign in");
  const message = h("p", { class: "error", testid: "login-error", hidden: true });
  const form = h("form", {
    class: "login", onsubmit: async (e) => {
      e.preventDefault();
      button.disabled = true;
      message.hidden = true;
      const value = password.value;
      password.value = "";
      try {
        await api.post("auth/login", { password: value });
        ctx.signedIn();
      } catch (err) {
        message.textContent = err.status === 401 ? "Wrong password." : errorText(err);
        message.hidden = false;
        password.focus();
      } finally {
        button.disabled = false;
      }
    },
  }, h("label", { class: "field" }, h("span", {}, "Password"), password), button, message);
  el.append(form);
  queueMicrotask(() => password.focus());
  return null;
}
