/*
 * A ticket's page in the desk, live: when the queue socket (/ws/agent/queue/, socket.js) says this ticket changed
 * (the customer replied, a colleague took it, noted, solved or decided its refund), the page is fetched again and
 * its live sections (marked data-live: status, thread, refund, transcript, history) are replaced, and the change is
 * announced in the aria-live line. The composer is never replaced, so what the agent is typing stays; a textarea
 * inside a live section keeps its text and the focus too.
 */
(function () {
  "use strict";
  const root = document.getElementById("ticket-page");
  if (!root) return;
  const number = root.dataset.ticket;
  const live = root.querySelector('[data-role="ticket-live"]');
  const strings = {};
  root.querySelectorAll('[data-role="strings"] [data-s]').forEach((el) => { strings[el.dataset.s] = el.textContent; });
  let refreshing = null;
  let leaving = false;
  let announce = "";
  let dropped = false;

  // The page posts its forms itself (post/redirect/get): no refetch while it is on its way to the next page, or the
  // refetch would take the confirmation message meant for it.
  root.addEventListener("submit", () => { leaving = true; });

  function keepTyped(current, fresh) {
    current.querySelectorAll("textarea[id], input[type=text][id]").forEach((field) => {
      const twin = fresh.querySelector(`#${CSS.escape(field.id)}`);
      if (twin && field.value) twin.value = field.value;
    });
  }

  async function refresh() {
    if (leaving) return;
    const focused = document.activeElement && document.activeElement.id;
    const response = await fetch(location.pathname, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" });
    if (!response.ok || leaving) return;
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    root.querySelectorAll("[data-live][id]").forEach((current) => {
      const fresh = page.getElementById(current.id);
      if (!fresh) return;
      keepTyped(current, fresh);
      current.replaceWith(fresh);
    });
    if (focused) {
      const again = document.getElementById(focused);
      if (again && again !== document.activeElement) again.focus({ preventScroll: true });
    }
    if (announce) {
      live.textContent = announce;
      announce = "";
    }
  }

  function refreshSoon(change) {
    if (change) announce = strings[change] || strings.updated;
    clearTimeout(refreshing);
    refreshing = setTimeout(refresh, 150);
  }

  HelpdeskSocket.connect({
    path: "/ws/agent/queue/",
    finalCodes: [4403],
    handlers: {
      queue(frame) {
        if (frame.change && frame.ticket === number) refreshSoon(frame.change);
      },
    },
    interrupted() { live.textContent = strings.interrupted; },
    restored() {
      live.textContent = "";
      refreshSoon("");  // what changed meanwhile
    },
    opened() {
      if (!dropped) return;
      dropped = false;
      live.textContent = "";
      refreshSoon("");
    },
    closed() {
      dropped = true;
      live.textContent = strings.reconnecting;
    },
  });
})();
