// The jobs page: the API key lives in session storage; start an ingest and poll its job.
"use strict";

const KEY = "wump.apiKey";
const state = document.getElementById("key-state");
const jobBox = document.getElementById("job");
const jobsBody = document.getElementById("jobs");

function apiKey() {
  return sessionStorage.getItem(KEY);
}

function showKey() {
  const key = apiKey();
  state.textContent = key ? `Key ${key.slice(0, 13)}… kept for this tab.` : "No key kept.";
}

async function call(method, path) {
  const key = apiKey();
  if (!key) throw new Error("Keep an API key first.");
  const response = await fetch(path, {
    method,
    headers: { "X-API-Key": key, Accept: "application/json" },
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.detail || body.title || `HTTP ${response.status}`);
  return body;
}

function line(parent, label, value) {
  const dt = document.createElement("dt");
  dt.textContent = label;
  const dd = document.createElement("dd");
  dd.textContent = value ?? "—";
  parent.append(dt, dd);
}

function showJob(job) {
  const facts = document.createElement("dl");
  facts.className = "facts";
  line(facts, "Job", `${job.job_type} ${job.subject}`);
  line(facts, "Status", job.status);
  line(facts, "Attempts", String(job.attempts));
  line(facts, "Rows written", String(job.records_processed));
  if (job.error_message) line(facts, "Error", job.error_message);
  if (job.completed_at) line(facts, "Completed", job.completed_at);
  jobBox.hidden = false;
  jobBox.replaceChildren(facts);
  jobBox.dataset.status = job.status;
}

function showError(message) {
  jobBox.hidden = false;
  const p = document.createElement("p");
  p.className = "problem";
  p.textContent = message;
  jobBox.replaceChildren(p);
}

async function watch(job) {
  showJob(job);
  listJobs();
  while (job.status === "pending" || job.status === "running") {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    job = await call("GET", job.url);
    showJob(job);
  }
  listJobs();
}

async function listJobs() {
  if (!apiKey()) return;
  try {
    const page = await call("GET", "/api/v1/jobs?limit=10");
    jobsBody.replaceChildren(
      ...page.items.map((job) => {
        const row = document.createElement("tr");
        for (const value of [job.job_type, job.subject, job.status, String(job.records_processed), job.created_at.slice(0, 19).replace("T", " ")]) {
          const cell = document.createElement("td");
          cell.textContent = value;
          row.append(cell);
        }
        return row;
      }),
    );
  } catch (error) {
    showError(error.message);
  }
}

document.getElementById("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = document.getElementById("api-key");
  sessionStorage.setItem(KEY, input.value.trim());
  input.value = "";
  showKey();
  listJobs();
});
document.getElementById("forget-key").addEventListener("click", () => {
  sessionStorage.removeItem(KEY);
  showKey();
});
document.getElementById("refresh-jobs").addEventListener("click", listJobs);

for (const form of document.querySelectorAll("form[data-kind]")) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const path =
      form.dataset.kind === "organization"
        ? `/api/v1/ingest/organizations/${encodeURIComponent(data.get("login").trim())}`
        : `/api/v1/ingest/packages/${encodeURIComponent(data.get("ecosystem"))}/${data
            .get("name")
            .trim()
            .split("/")
            .map(encodeURIComponent)
            .join("/")}`;
    try {
      await watch(await call("POST", path));
    } catch (error) {
      showError(error.message);
    }
  });
}

showKey();
listJobs();
