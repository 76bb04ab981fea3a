// The plates page: states of the plates shown update live while jobs run (polling the JSON API).
import { call } from "/static/api.js";

const POLL_MS = 2000;
const FINAL = new Set(["succeeded", "failed", "rejected", "cancelled"]);

async function refresh() {
  const cells = [...document.querySelectorAll("#plates td.state")];
  const open = cells.filter((cell) => !FINAL.has(cell.dataset.state));
  if (open.length === 0) return;
  const params = new URLSearchParams(location.search);
  const query = new URLSearchParams({ limit: "200" });
  if (params.get("project")) query.set("project", params.get("project"));
  const page = await call("GET", `/api/v1/plates?${query}`);
  const states = new Map(page.items.map((plate) => [plate.id, plate.state]));
  for (const cell of open) {
    const state = states.get(cell.parentElement.dataset.plate);
    if (state && state !== cell.dataset.state) {
      cell.dataset.state = state;
      cell.textContent = state;
      cell.className = `state state-${state}`;
    }
  }
}

setInterval(() => refresh().catch(() => {}), POLL_MS);
