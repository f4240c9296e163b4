/*
 * "How the assistant would answer this" on an FAQ entry's change page (templates/admin/faq/faqentry/_preview.html).
 *
 * Without this script the preview is a GET form that reloads the page. With it, the results follow the question as
 * the admin types: 250 ms after the last keystroke (or at once on Enter / "Preview"), a GET to the form's data-url
 * (?q=…) returns JSON whose "html" is the same results fragment the page renders, which replaces the old one. A
 * newer question aborts the request of an older one, so a slow answer never overwrites a newer one. Strings come
 * translated from #faq-preview-strings.
 */
(function () {
  "use strict";

  const form = document.querySelector(".faq-preview-form[data-url]");
  const results = document.getElementById("faq-preview-results");
  if (!form || !results || !window.fetch) return;
  const input = form.querySelector("input[name=preview]");
  const status = document.querySelector(".faq-preview-status");
  const S = {};
  document.querySelectorAll("#faq-preview-strings [data-s]").forEach((el) => { S[el.dataset.s] = el.textContent.trim(); });
  const DEBOUNCE_MS = 250;
  let timer = null;
  let inFlight = null;
  let shown = input.value.trim();

  function say(text) {
    if (status) status.textContent = text || "";
  }

  async function refresh() {
    clearTimeout(timer);
    const query = input.value.trim();
    if (query === shown) return;
    if (inFlight) inFlight.abort();
    const controller = new AbortController();
    inFlight = controller;
    say(S.searching);
    const url = new URL(form.dataset.url, window.location.href);
    url.searchParams.set("q", query);
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin",
                                          signal: controller.signal });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const data = await response.json();
      if (controller.signal.aborted) return;
      results.innerHTML = data.html;  // rendered by the server's template, escaped there
      shown = query;
      say("");
    } catch (error) {
      if (controller.signal.aborted) return;
      say(S.failed);
    } finally {
      if (inFlight === controller) inFlight = null;
    }
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, DEBOUNCE_MS);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    shown = null;  // an explicit "Preview" asks again, even for the same question
    refresh();
  });
})();
