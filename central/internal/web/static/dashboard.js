// Live updates for the dashboard: /events says what changed, and only the
// affected sections are fetched again (server-rendered, same templates).
(() => {
  "use strict";
  const sections = {
    crossings: ["totals", "gates", "crossings"],
    gates: ["totals", "gates"],
    rejects: ["totals"],
  };
  const pending = new Set();
  let busy = false;

  async function refresh() {
    if (busy) return;
    busy = true;
    try {
      while (pending.size > 0) {
        const names = [...pending];
        pending.clear();
        for (const name of names) {
          const res = await fetch("/partials/" + name, { cache: "no-store" });
          if (!res.ok) continue;
          const el = document.getElementById(name);
          const seen = new Set([...el.querySelectorAll("[data-id]")].map((r) => r.dataset.id));
          el.innerHTML = await res.text();
          if (name === "crossings" && seen.size > 0) {
            for (const row of el.querySelectorAll("[data-id]")) {
              if (!seen.has(row.dataset.id)) row.classList.add("new");
            }
          }
        }
      }
    } catch (e) {
      // Network hiccup: the next notice, or the stream's reconnect, retries.
    } finally {
      busy = false;
    }
  }

  function want(names) {
    names.forEach((n) => pending.add(n));
    refresh();
  }

  const live = document.getElementById("live");
  const es = new EventSource("/events");
  for (const [event, names] of Object.entries(sections)) {
    es.addEventListener(event, () => want(names));
  }
  es.onopen = () => {
    document.body.dataset.live = "on";
    live.textContent = "live";
    // Whatever happened while disconnected is caught up in one go.
    want(["totals", "gates", "crossings"]);
  };
  // A gate going stale sends nothing: the gates are re-read now and then
  // so that its silence shows.
  setInterval(() => want(["totals", "gates"]), 10000);
  es.onerror = () => {
    document.body.dataset.live = "off";
    live.textContent = "reconnecting…";
  };
})();
