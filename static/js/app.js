/*
 * Bilans Pro: small progressive enhancements. Every page works without this file.
 *
 * Loaded in <head> without "defer" on purpose: it marks <html class="js"> before the first paint
 * (so the mobile menu starts collapsed without a flash), then waits for the DOM for the rest.
 * Everything uses event delegation, so content swapped in by htmx works too.
 *
 * - Mobile menu: [data-menu-toggle][aria-controls] toggles aria-expanded and .is-open on its panel.
 * - Account menu (<details class="account-menu">): closes on Escape and on a click outside.
 * - Confirmations: form[data-confirm] (components/confirm_button.html) and any htmx element with
 *   data-confirm open the page's <dialog id="confirm-dialog"> before submitting.
 * - Toasts: [data-dismiss="toast"] removes its toast.
 * - Forms: the error summary (data-error-summary) receives the focus after a failed post.
 */
(function () {
  "use strict";

  var root = document.documentElement;
  root.classList.add("js");

  function closestEl(target, selector) {
    return target && target.closest ? target.closest(selector) : null;
  }

  /* ------------------------------------------------------------ Mobile menu */
  function setMenu(toggle, open) {
    var panel = document.getElementById(toggle.getAttribute("aria-controls"));
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    if (panel) {
      panel.classList.toggle("is-open", open);
    }
  }

  /* ------------------------------------------------------------ Confirmation dialog */
  var pending = null; // {onConfirm, opener}

  function askConfirmation(options) {
    var dialog = document.getElementById("confirm-dialog");
    if (!dialog || typeof dialog.showModal !== "function") {
      // Very old browser: the native confirm box, in French from the template's message.
      if (window.confirm(options.message)) {
        options.onConfirm();
      }
      return;
    }
    var title = dialog.querySelector("#confirm-dialog-title");
    var message = dialog.querySelector("#confirm-dialog-message");
    var confirmButton = dialog.querySelector("[data-confirm-button]");
    if (title) {
      title.textContent = options.title || "Confirmer l’action";
    }
    if (message) {
      message.textContent = options.message;
    }
    if (confirmButton) {
      confirmButton.textContent = options.label || "Confirmer";
      confirmButton.className = "btn btn--" + (options.tone || "danger");
    }
    pending = { onConfirm: options.onConfirm, opener: options.opener || document.activeElement };
    dialog.returnValue = "";
    dialog.showModal();
  }

  function toneOf(button) {
    if (!button) {
      return "danger";
    }
    if (button.classList.contains("btn--primary")) {
      return "primary";
    }
    if (button.classList.contains("btn--secondary")) {
      return "primary";
    }
    return "danger";
  }

  function isHtmxElement(el) {
    if (!window.htmx || !el) {
      return false;
    }
    var verbs = ["get", "post", "put", "patch", "delete"];
    for (var i = 0; i < verbs.length; i++) {
      if (el.hasAttribute("hx-" + verbs[i]) || el.hasAttribute("data-hx-" + verbs[i])) {
        return true;
      }
    }
    var boosted = closestEl(el, "[hx-boost],[data-hx-boost]");
    if (boosted) {
      var value = boosted.getAttribute("hx-boost") || boosted.getAttribute("data-hx-boost");
      return value === "true";
    }
    return false;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var dialog = document.getElementById("confirm-dialog");
    if (dialog) {
      dialog.addEventListener("close", function () {
        var action = pending;
        pending = null;
        if (!action) {
          return;
        }
        if (dialog.returnValue === "confirm") {
          action.onConfirm();
        } else if (action.opener && typeof action.opener.focus === "function") {
          action.opener.focus();
        }
      });
    }

    // After a failed post, bring the error summary into view and focus (the user hears it).
    var summary = document.querySelector("[data-error-summary]");
    if (summary) {
      summary.focus();
    }
  });

  /* Plain (non-htmx) forms: intercept the submit, ask, then submit again for real. */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || !form.matches || !form.matches("form[data-confirm]")) {
      return;
    }
    if (form.getAttribute("data-confirmed") === "1") {
      form.removeAttribute("data-confirmed");
      return;
    }
    if (isHtmxElement(form)) {
      return; // htmx fires htmx:confirm, handled below.
    }
    event.preventDefault();
    var submitter = event.submitter || form.querySelector("[type=submit]");
    askConfirmation({
      message: form.getAttribute("data-confirm"),
      title: form.getAttribute("data-confirm-title"),
      label: submitter ? submitter.textContent.trim() : null,
      tone: toneOf(submitter),
      opener: submitter,
      onConfirm: function () {
        form.setAttribute("data-confirmed", "1");
        if (typeof form.requestSubmit === "function") {
          form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
        } else {
          form.submit();
        }
      },
    });
  }, true);

  /* htmx elements with data-confirm="…": same dialog, then let htmx send the request. */
  document.addEventListener("htmx:confirm", function (event) {
    var elt = event.detail && event.detail.elt;
    var source = closestEl(elt, "[data-confirm]");
    if (!source) {
      return;
    }
    event.preventDefault();
    var button = source.matches("form") ? source.querySelector("[type=submit]") : source;
    askConfirmation({
      message: source.getAttribute("data-confirm"),
      title: source.getAttribute("data-confirm-title"),
      label: button ? button.textContent.trim() : null,
      tone: toneOf(button),
      opener: button,
      onConfirm: function () {
        event.detail.issueRequest(true);
      },
    });
  });

  /* ------------------------------------------------------------ Clicks */
  document.addEventListener("click", function (event) {
    var target = event.target;

    var toggle = closestEl(target, "[data-menu-toggle]");
    if (toggle) {
      setMenu(toggle, toggle.getAttribute("aria-expanded") !== "true");
      return;
    }

    var dismiss = closestEl(target, "[data-dismiss='toast']");
    if (dismiss) {
      var toast = closestEl(dismiss, "[data-toast]");
      if (toast) {
        toast.remove();
      }
      return;
    }

    // Close an open account menu when clicking elsewhere.
    var openMenus = document.querySelectorAll("details.account-menu[open]");
    for (var i = 0; i < openMenus.length; i++) {
      if (!openMenus[i].contains(target)) {
        openMenus[i].removeAttribute("open");
      }
    }
  });

  /* ------------------------------------------------------------ Escape */
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
      return;
    }
    var active = document.activeElement;
    var details = closestEl(active, "details.account-menu[open]");
    if (details) {
      details.removeAttribute("open");
      var summary = details.querySelector("summary");
      if (summary) {
        summary.focus();
      }
      return;
    }
    var toggles = document.querySelectorAll("[data-menu-toggle][aria-expanded='true']");
    for (var i = 0; i < toggles.length; i++) {
      var panel = document.getElementById(toggles[i].getAttribute("aria-controls"));
      if (panel && panel.contains(active)) {
        setMenu(toggles[i], false);
        toggles[i].focus();
      }
    }
  });
})();
