// Live updates for the HQ dashboard: /events says what changed, and only
// the affected sections are fetched again (server-rendered, same
// templates). The 24 h sections (charts, timings, referrals) read many
// rows, so each is re-read at most every heavyEvery ms however busy the
// posts are.
(() => {
  "use strict";
  if (document.body.dataset.page !== "dashboard") return;
  const sections = {
    crossings: ["totals", "gates", "crossings", "throughput", "timings", "referrals"],
    gates: ["totals", "gates"],
    rejects: ["totals"],
  };
  const all = ["totals", "gates", "crossings", "throughput", "timings", "referrals"];
  const heavyEvery = 10000;
  // The page was rendered just now: its heavy sections count as fresh.
  const lastFetch = Object.fromEntries(all.map((n) => [n, Date.now()]));
  const pending = new Set();
  let busy = false;
  let heavyTimer = null;

  function isHeavy(name) {
    const el = document.getElementById(name);
    return el !== null && el.dataset.heavy === "1";
  }

  async function fetchPart(name) {
    const res = await fetch("/dashboard/partials/" + name, { cache: "no-store", credentials: "same-origin" });
    if (res.status === 401 || res.redirected) {
      // The session ended: the login page, then back here.
      window.location.assign("/login?next=" + encodeURIComponent("/dashboard"));
      return;
    }
    if (!res.ok) return;
    const el = document.getElementById(name);
    const seen = new Set([...el.querySelectorAll("[data-id]")].map((r) => r.dataset.id));
    el.innerHTML = await res.text();
    lastFetch[name] = Date.now();
    if (name === "crossings" && seen.size > 0) {
      for (const row of el.querySelectorAll("[data-id]")) {
        if (!seen.has(row.dataset.id)) row.classList.add("new");
      }
    }
  }

  async function refresh() {
    if (busy) return;
    busy = true;
    try {
      while (pending.size > 0) {
        const names = [...pending];
        pending.clear();
        for (const name of names) {
          await fetchPart(name);
        }
      }
    } catch (e) {
      // Network hiccup: the next notice, or the stream's reconnect, retries.
    } finally {
      busy = false;
    }
  }

  function want(names) {
    const now = Date.now();
    let deferred = false;
    for (const n of names) {
      if (isHeavy(n) && now - (lastFetch[n] || 0) < heavyEvery) {
        deferred = true;
        continue;
      }
      pending.add(n);
    }
    if (deferred && heavyTimer === null) {
      heavyTimer = setTimeout(() => {
        heavyTimer = null;
        want(names.filter(isHeavy));
      }, heavyEvery);
    }
    refresh();
  }

  const live = document.getElementById("live");
  const es = new EventSource("/events");
  for (const [event, names] of Object.entries(sections)) {
    es.addEventListener(event, () => want(names));
  }
  es.onopen = () => {
    document.body.dataset.live = "on";
    if (live) live.textContent = "live";
    // Whatever happened while disconnected is caught up in one go.
    want(all);
  };
  // A gate going stale sends nothing: the gates are re-read now and then
  // so that its silence shows.
  setInterval(() => want(["totals", "gates"]), 10000);
  es.onerror = () => {
    document.body.dataset.live = "off";
    if (live) live.textContent = "reconnecting…";
  };
})();
