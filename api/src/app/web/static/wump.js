// Progressive enhancement: "more" appends the next page in place; the search box suggests.
"use strict";

function announce(text) {
  const region = document.getElementById("announce");
  if (region) region.textContent = text;
}

async function problemText(response) {
  // API errors are problem+json; page errors are HTML with the same detail.
  const type = response.headers.get("content-type") || "";
  if (type.includes("json")) {
    const problem = await response.json();
    return problem.detail || problem.title || `HTTP ${response.status}`;
  }
  const doc = new DOMParser().parseFromString(await response.text(), "text/html");
  const detail = doc.querySelector(".problem .detail");
  return detail ? detail.textContent : `HTTP ${response.status}`;
}

document.addEventListener("click", async (event) => {
  const link = event.target.closest("a[data-more]");
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
  event.preventDefault();
  const name = link.dataset.more;
  const target = document.getElementById(name);
  const url = new URL(link.href);
  url.searchParams.set("fragment", name);
  link.setAttribute("aria-disabled", "true");
  try {
    const response = await fetch(url, { headers: { Accept: "text/html" } });
    if (!response.ok) {
      announce(await problemText(response));
      link.parentElement.insertAdjacentText("beforeend", ` ${document.getElementById("announce").textContent}`);
      return;
    }
    const doc = new DOMParser().parseFromString(await response.text(), "text/html");
    const rows = Array.from(doc.getElementById(name).children);
    target.append(...rows.map((row) => document.importNode(row, true)));
    const added = target.children[target.children.length - rows.length];
    const focusable = added && added.querySelector("a");
    if (focusable) focusable.focus();
    const next = doc.querySelector(`a[data-more="${name}"]`);
    if (next) link.setAttribute("href", next.getAttribute("href"));
    else link.remove();
    announce(`${rows.length} more rows loaded.`);
  } finally {
    link.removeAttribute("aria-disabled");
  }
});

const box = document.querySelector("input[data-suggest]");
if (box) {
  const list = document.getElementById(box.getAttribute("list"));
  let timer;
  let pending;
  box.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const q = box.value.trim();
      if (q.length < 2 || q.startsWith("pkg:")) return;
      if (pending) pending.abort();
      pending = new AbortController();
      try {
        const response = await fetch(`/api/v1/packages?limit=8&q=${encodeURIComponent(q)}`, {
          headers: { Accept: "application/json" },
          signal: pending.signal,
        });
        if (!response.ok) return;
        const page = await response.json();
        list.replaceChildren(
          ...page.items.map((item) => {
            const option = document.createElement("option");
            option.value = item.purl;
            option.label = `${item.name} (${item.ecosystem}), ${item.organization_count} organizations`;
            return option;
          }),
        );
      } catch (error) {
        if (error.name !== "AbortError") throw error;
      }
    }, 150);
  });
}
