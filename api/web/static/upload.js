// Uploading a plate from the plates page, straight to storage: the plate is declared to the JSON API,
// its bytes go to the presigned URLs the API answers (one PUT, or parts a few at a time), then the
// upload is completed. An unfinished upload is remembered in localStorage: picking the same file again
// after a reload offers to resume it, and only the parts the storage does not hold are sent.
import { call, element, notice, Problem } from "/static/api.js";

const PARALLEL = 4;         // parts in flight at once
const RETRIES = 3;          // tries of a part after the first, on a network error or a 5xx
const STORE = "platecut.uploads";
const FORBIDDEN = new Set(["content-length", "host", "connection"]);  // the browser sets these itself
const section = document.getElementById("upload");

// --- remembered uploads -------------------------------------------------------------------------

function remembered() {
  try {
    return JSON.parse(localStorage.getItem(STORE) ?? "[]");
  } catch {
    return [];
  }
}

function save(entries) {
  localStorage.setItem(STORE, JSON.stringify(entries));
}

function sameFile(entry, file) {
  return entry.name === file.name && entry.size === file.size && entry.lastModified === file.lastModified;
}

function recall(file) {
  return remembered().find((entry) => sameFile(entry, file)) ?? null;
}

function remember(entry) {
  save([...remembered().filter((other) => other.plateId !== entry.plateId), entry]);
}

function forget(plateId) {
  save(remembered().filter((entry) => entry.plateId !== plateId));
}

// --- the form -----------------------------------------------------------------------------------

const projects = (section.dataset.projects ?? "").split(",").filter(Boolean);
const project = element("select", { name: "project" }, ...projects.map((name) => element("option", {}, name)));
const reel = element("input", { name: "reel", size: "12", placeholder: "from the name" });
const version = element("input", { name: "version", type: "number", min: "1", size: "4" });
const picker = element("input", { name: "file", type: "file" });
const start = element("button", { type: "button", class: "start" }, "Upload");
const resume = element("button", { type: "button", class: "resume", hidden: true });
const bar = element("progress", { max: "100", value: "0" });
const status = element("span", { class: "progress-text", "aria-live": "polite" });
let offer = null;  // {entry, instructions} of the picked file's unfinished upload
let busy = false;

section.append(
  element("h2", {}, "Upload a plate"),
  element("label", {}, "Project ", project), " ",
  element("label", {}, "Reel ", reel), " ",
  element("label", {}, "Version ", version), " ",
  picker, " ", start, " ", resume,
  element("div", { class: "progress" }, bar, " ", status),
);

function setBusy(value) {
  busy = value;
  for (const control of [project, reel, version, picker, start, resume]) control.disabled = value;
}

function human(bytes) {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

// --- progress -----------------------------------------------------------------------------------

class Progress {
  constructor(total, already) {
    this.total = total;
    this.done = already;       // bytes stored (parts finished, earlier or now)
    this.sentNow = 0;          // bytes sent by this page, for the speed
    this.inFlight = new Map(); // part number -> bytes of it sent so far
    this.started = performance.now();
    this.show();
  }

  moving(number, loaded) {
    this.inFlight.set(number, loaded);
    this.show();
  }

  finished(number, size) {
    this.inFlight.delete(number);
    this.done += size;
    this.sentNow += size;
    this.show();
  }

  failed(number) {
    this.inFlight.delete(number);
    this.show();
  }

  show() {
    let flying = 0;
    for (const loaded of this.inFlight.values()) flying += loaded;
    const sent = Math.min(this.total, this.done + flying);
    const percent = this.total ? Math.floor((sent * 100) / this.total) : 100;
    const seconds = (performance.now() - this.started) / 1000;
    const speed = seconds > 0.2 ? `${human((this.sentNow + flying) / seconds)}/s` : "";
    bar.value = percent;
    status.textContent = `${human(sent)} of ${human(this.total)} · ${percent}%${speed ? ` · ${speed}` : ""}`;
  }
}

// --- sending bytes to storage -------------------------------------------------------------------

class StorageError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function storageMessage(xhr) {
  if (xhr.status === 0) return "The storage could not be reached; check the connection and try again.";
  let detail = "";
  try {
    detail = JSON.parse(xhr.responseText)?.detail ?? "";
  } catch {
    detail = /<Message>([^<]*)<\/Message>/.exec(xhr.responseText ?? "")?.[1] ?? "";
  }
  return `The storage refused the upload (HTTP ${xhr.status})${detail ? `: ${detail}` : "."}`;
}

// One presigned request with exactly its signed headers: no cookie of ours is asked for
// (withCredentials off) and no CSRF header is added; the browser sets Content-Length from the blob.
function send(request, blob, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(request.method, request.url);
    xhr.withCredentials = false;
    for (const [name, value] of Object.entries(request.headers ?? {})) {
      if (!FORBIDDEN.has(name.toLowerCase())) xhr.setRequestHeader(name, value);
    }
    xhr.upload.onprogress = (event) => onProgress(event.loaded);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve(xhr.getResponseHeader("ETag"));
      else reject(new StorageError(xhr.status, storageMessage(xhr)));
    };
    xhr.onerror = () => reject(new StorageError(0, storageMessage(xhr)));
    xhr.ontimeout = xhr.onerror;
    xhr.send(blob);
  });
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const worthRetrying = (error) => error instanceof StorageError && (error.status === 0 || error.status >= 500
                                                                   || error.status === 403);

async function sendPart(plateId, instructions, part, file, progress, entry) {
  let request = part;
  const offset = (part.number - 1) * instructions.part_size;
  const blob = file.slice(offset, offset + part.size);
  for (let attempt = 0; ; attempt += 1) {
    try {
      await send(request, blob, (loaded) => progress.moving(part.number, loaded));
      progress.finished(part.number, part.size);
      entry.parts = [...new Set([...entry.parts, part.number])];
      remember(entry);
      return;
    } catch (error) {
      progress.failed(part.number);
      if (attempt >= RETRIES || !worthRetrying(error)) throw error;
      await pause(500 * 2 ** attempt);
      if (error.status === 403) {  // the URL expired: a fresh one
        const page = await call("GET", `/api/v1/plates/${plateId}/upload?from_part=${part.number}&limit=1`);
        if (page.parts[0]?.number !== part.number) return;  // stored after all
        request = page.parts[0];
      }
    }
  }
}

async function missingParts(plateId, instructions) {
  const parts = [...instructions.parts];
  let next = instructions.next_part;
  while (next) {
    const page = await call("GET", `/api/v1/plates/${plateId}/upload?from_part=${next}`);
    parts.push(...page.parts);
    next = page.next_part;
  }
  return parts;
}

async function sendParts(plateId, instructions, file, entry) {
  const stored = instructions.uploaded_parts;
  entry.parts = stored.map((part) => part.number);  // what the storage says, not what we remembered
  remember(entry);
  const progress = new Progress(file.size, stored.reduce((sum, part) => sum + part.size, 0));
  const queue = await missingParts(plateId, instructions);
  let failure = null;
  const worker = async () => {
    while (queue.length && !failure) {
      const part = queue.shift();
      try {
        await sendPart(plateId, instructions, part, file, progress, entry);
      } catch (error) {
        failure = failure ?? error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, queue.length) }, worker));
  if (failure) throw failure;
}

async function sendSingle(instructions, file) {
  const progress = new Progress(file.size, 0);
  try {
    await send(instructions.put, file, (loaded) => progress.moving(1, loaded));
  } catch (error) {
    if (!(error instanceof StorageError) || error.status !== 412) throw error;
    // 412: an earlier try stored the object already; completing checks it
  }
  progress.finished(1, file.size);
}

// --- the whole upload ---------------------------------------------------------------------------

async function transfer(plateId, instructions, file, entry, retried = false) {
  if (instructions.state === "pending") {
    if (instructions.kind === "single") await sendSingle(instructions, file);
    else await sendParts(plateId, instructions, file, entry);
  }
  try {
    // no parts listed: the API asks the storage for them (their ETags need no CORS exposure)
    return await call("POST", `/api/v1/plates/${plateId}/upload/complete`);
  } catch (error) {
    const again = error instanceof Problem && error.status === 409
      && (error.body.upload_restarted || error.code === "parts_missing");
    if (!again || retried) throw error;
    // once: the storage lost parts, or some are missing; send what it lacks
    return transfer(plateId, await call("GET", `/api/v1/plates/${plateId}/upload`), file, entry, true);
  }
}

function addRow(plate) {
  const tbody = document.querySelector("#plates tbody");
  if (!tbody || tbody.querySelector(`tr[data-plate="${plate.id}"]`)) return;
  tbody.querySelector("tr.empty")?.remove();
  const created = (plate.created_at ?? "").slice(0, 16).replace("T", " ");
  tbody.prepend(element("tr", { "data-plate": plate.id },
    element("td", {}, element("a", { href: `/ui/plates/${plate.id}` }, plate.name)),
    element("td", {}, plate.project), element("td", {}, plate.reel ?? ""), element("td", {}, plate.version ?? ""),
    element("td", { class: `state state-${plate.state}`, "data-state": plate.state }, plate.state),
    element("td", {}, created)));
}

function explain(error) {
  if (error instanceof Problem) {
    const fields = (error.body.errors ?? []).map((item) => item.message ?? item.msg).filter(Boolean);
    return fields.length ? `${error.message} ${fields.join("; ")}` : error.message;
  }
  return error?.message ?? String(error);
}

async function run(plateId, instructions, file, entry) {
  setBusy(true);
  notice("");
  try {
    const plate = await transfer(plateId, instructions, file, entry);
    forget(plateId);
    bar.value = 100;
    addRow(plate);
    notice(`${plate.name} is uploaded (${plate.state}).`, "info");
    offer = null;
    resume.hidden = true;
    picker.value = "";
  } catch (error) {
    // what was stored stays stored: picking the file again resumes the upload
    notice(`Upload of ${file.name} stopped: ${explain(error)} Pick the file again to resume.`);
  } finally {
    setBusy(false);
  }
}

async function startNew() {
  const file = picker.files[0];
  if (!file) return notice("Choose a file to upload.");
  if (!project.value) return notice("There is no project to upload into.");
  const body = { name: file.name, project: project.value, size: file.size };
  if (reel.value.trim() || version.value.trim()) {
    if (!reel.value.trim() || !version.value.trim()) return notice("Give both a reel and a version, or neither.");
    body.reel = reel.value.trim();
    body.version = Number(version.value);
  }
  if (offer) {  // a new plate instead of the unfinished one: that one is abandoned
    forget(offer.entry.plateId);
    call("POST", `/api/v1/plates/${offer.entry.plateId}/upload/abort`).catch(() => {});
    offer = null;
    resume.hidden = true;
  }
  setBusy(true);
  let created;
  try {
    created = await call("POST", "/api/v1/plates", body);
  } catch (error) {
    setBusy(false);
    return notice(`${file.name} was not accepted: ${explain(error)}`);
  }
  const entry = { plateId: created.plate.id, name: file.name, size: file.size, lastModified: file.lastModified,
                  project: body.project, kind: created.upload.kind, parts: [] };
  remember(entry);
  await run(entry.plateId, created.upload, file, entry);
}

// The picked file's unfinished upload, if any: its plate and what the storage holds, asked of the API.
async function offerResume() {
  offer = null;
  resume.hidden = true;
  const file = picker.files[0];
  const entry = file && recall(file);
  if (!entry) return;
  let plate;
  let instructions;
  try {
    plate = await call("GET", `/api/v1/plates/${entry.plateId}`);
    if (plate.state !== "awaiting_upload") {
      forget(entry.plateId);  // completed, cancelled or gone: nothing to resume
      return;
    }
    instructions = await call("GET", `/api/v1/plates/${entry.plateId}/upload`);
  } catch (error) {
    if (error instanceof Problem && (error.status === 404 || error.status === 409)) forget(entry.plateId);
    else notice(`Could not check the earlier upload of ${file.name}: ${explain(error)}`);
    return;
  }
  const stored = instructions.kind === "single" ? 0
    : instructions.uploaded_parts.reduce((sum, part) => sum + part.size, 0);
  const percent = Math.floor((stored * 100) / file.size);
  offer = { entry, instructions };
  resume.textContent = `Resume upload of ${file.name} (${percent}% done)`;
  resume.hidden = false;
  start.textContent = "Upload as a new plate";
}

picker.addEventListener("change", () => {
  start.textContent = "Upload";
  bar.value = 0;
  status.textContent = "";
  offerResume().catch((error) => notice(explain(error)));
});
start.addEventListener("click", () => {
  if (!busy) startNew().catch((error) => notice(explain(error)));
});
resume.addEventListener("click", () => {
  const file = picker.files[0];
  if (busy || !offer || !file || !sameFile(offer.entry, file)) return;
  const { entry } = offer;
  setBusy(true);
  call("GET", `/api/v1/plates/${entry.plateId}/upload`)  // fresh URLs, and what is stored now
    .then((instructions) => run(entry.plateId, instructions, file, entry))
    .catch((error) => {
      setBusy(false);
      notice(`Could not resume ${file.name}: ${explain(error)}`);
    });
});
