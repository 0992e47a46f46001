// The reset page's only script: it takes the token from the link's query, keeps
// it in memory (and out of the address bar), and posts it with the new password
// to the reset endpoint, showing the outcome.
"use strict";
(function () {
  var params = new URLSearchParams(window.location.search);
  var token = params.get("token") || "";
  if (token) {
    window.history.replaceState(null, "", window.location.pathname);
  }
  var form = document.getElementById("reset");
  var status = document.getElementById("status");
  var button = document.getElementById("submit");

  function show(text, kind) {
    status.textContent = text;
    status.className = kind;
  }

  if (!token) {
    show("This link has no reset token. Ask for a new reset email.", "error");
    button.disabled = true;
    return;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var password = document.getElementById("password").value;
    var confirm = document.getElementById("confirm").value;
    if (password !== confirm) {
      show("The two passwords differ.", "error");
      return;
    }
    button.disabled = true;
    show("Saving…", "");
    fetch("/api/v1/auth/password/reset", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "omit",
      body: JSON.stringify({ token: token, newPassword: password, newPasswordConfirm: confirm })
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (body) {
        if (res.ok) {
          form.hidden = true;
          show("Your password was changed. You can now log in with it.", "ok");
          return;
        }
        button.disabled = false;
        var msg = body.message || "The password could not be changed.";
        if (body.errors && body.errors.length) {
          msg = body.errors.map(function (e) { return e.field + " " + e.message; }).join("; ");
        }
        if (body.code === "invalid_reset_token") {
          msg = "This reset link is invalid, used or expired. Ask for a new reset email.";
          form.hidden = true;
        }
        show(msg, "error");
      });
    }).catch(function () {
      button.disabled = false;
      show("The service could not be reached. Try again.", "error");
    });
  });
})();
