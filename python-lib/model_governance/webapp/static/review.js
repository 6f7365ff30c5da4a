// Review board: send the sign-off form as JSON with the CSRF token and show any refusal.
// The server decides every permission; this script only improves the round trip.
"use strict";
(function () {
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function show(box, text) {
    box.textContent = text;
    box.className = "notice refused";
    box.hidden = false;
  }

  function sendSignOff(form, event) {
    event.preventDefault();
    var box = document.getElementById("signoff-result");
    var button = form.querySelector("button[type=submit]");
    var data = new FormData(form);
    button.disabled = true;
    fetch(form.getAttribute("action"), {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRF-Token": csrfToken()
      },
      body: JSON.stringify({
        role: data.get("role"),
        decision: data.get("decision"),
        comment: data.get("comment")
      })
    }).then(function (response) {
      return response.json().then(function (payload) {
        return { ok: response.ok, payload: payload };
      });
    }).then(function (result) {
      if (result.ok) {
        window.location.reload();
        return;
      }
      var error = result.payload && result.payload.error;
      show(box, error ? error.message : "The review board refused the sign-off.");
      button.disabled = false;
    }).catch(function () {
      show(box, "The review board did not answer; check the connection and try again.");
      button.disabled = false;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("signoff-form");
    if (form) {
      form.addEventListener("submit", function (event) { sendSignOff(form, event); });
    }
    document.querySelectorAll("form.filters select").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
  });
})();
