// Evidex pages work without this script; it adds streamed progress while an answer is composed,
// citation pop-overs (hover, focus or tap a citation number) and the print button.
"use strict";

const STAGE_NAMES = {
  queued: "Queued",
  analysing: "Analysing the question",
  "searching PubMed": "Searching PubMed (live)",
  retrieving: "Retrieving evidence",
  composing: "Composing the answer",
  verifying: "Verifying every citation",
};

function streamForm(form, submitter) {
  const data = new FormData(form);
  if (submitter && submitter.name) data.set(submitter.name, submitter.value);
  const question = (data.get("question") || "").toString().trim();
  const error = form.querySelector(".form-error");
  if (!question) {
    error.textContent = "Type a question first.";
    error.hidden = false;
    return;
  }
  const params = new URLSearchParams();
  params.set("question", question);
  params.set("audience", (data.get("audience") || "clinician").toString());
  if (data.get("follow_up_of")) params.set("follow_up_of", data.get("follow_up_of").toString());
  const progress = form.querySelector(".progress");
  const stages = progress.querySelector(".stages");
  stages.textContent = "";
  progress.hidden = false;
  error.hidden = true;
  form.querySelectorAll("button").forEach((b) => { b.disabled = true; });
  form.setAttribute("aria-busy", "true");
  const events = new EventSource("/api/answers/stream?" + params.toString());
  let finished = false;
  const done = () => {
    finished = true;
    events.close();
    form.querySelectorAll("button").forEach((b) => { b.disabled = false; });
    form.removeAttribute("aria-busy");
  };
  events.addEventListener("stage", (event) => {
    const stage = JSON.parse(event.data).stage;
    const previous = stages.lastElementChild;
    if (stage.startsWith("composing:") && previous && previous.dataset.stage.startsWith("composing")) {
      previous.textContent = "Composing the answer (" + stage.slice(11).trim() + " written)";
      previous.dataset.stage = stage;
      return;
    }
    if (previous) previous.classList.add("done");
    const item = document.createElement("li");
    item.textContent = STAGE_NAMES[stage] || stage;
    item.dataset.stage = stage;
    stages.appendChild(item);
  });
  events.addEventListener("answer", (event) => {
    done();
    window.location.assign(JSON.parse(event.data).url);
  });
  events.addEventListener("error", (event) => {
    if (finished) return;
    done();
    progress.hidden = true;
    if (!event.data) {
      // the stream itself failed (refused, rate limited, proxy): post the form the plain way instead,
      // so the server's own page says what happened and the question is not lost
      form.dataset.plain = "true";
      if (submitter && form.contains(submitter)) form.requestSubmit(submitter);
      else form.requestSubmit();
      return;
    }
    error.textContent = JSON.parse(event.data).detail;
    error.hidden = false;
  });
}

function setUpForms() {
  if (!("EventSource" in window)) return;
  document.querySelectorAll("form[data-stream]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (form.dataset.plain) return;
      event.preventDefault();
      streamForm(form, event.submitter);
    });
  });
}

let popover = null;
let anchor = null;

function closePopover() {
  if (popover) popover.remove();
  if (anchor) anchor.setAttribute("aria-expanded", "false");
  popover = null;
  anchor = null;
}

function openPopover(link) {
  if (anchor === link) return;
  closePopover();
  const number = link.dataset.ref;
  const reference = document.getElementById("ref-" + number);
  popover = document.createElement("div");
  popover.className = "cite-popover";
  popover.id = "cite-popover";
  popover.setAttribute("role", "dialog");
  popover.setAttribute("aria-label", "Cited passage " + number);
  const close = document.createElement("button");
  close.type = "button";
  close.className = "cite-close";
  close.setAttribute("aria-label", "Close");
  close.textContent = "×";
  close.addEventListener("click", closePopover);
  popover.appendChild(close);
  const quote = document.createElement("blockquote");
  quote.textContent = link.dataset.passage || "";
  popover.appendChild(quote);
  if (reference) {
    const source = document.createElement("p");
    source.className = "cite-source";
    const title = reference.querySelector(".evidex-ref-title");
    const bits = [number + ". " + (title ? title.textContent : "")];
    reference.querySelectorAll(".evidex-ref-source, .evidex-ref-year, .evidex-kind").forEach((el) => bits.push(el.textContent));
    source.textContent = bits.join(" · ");
    popover.appendChild(source);
    const passages = reference.querySelector(".evidex-ref-document");
    if (passages) {
      const open = document.createElement("a");
      open.href = passages.getAttribute("href");
      open.textContent = "Open the source in the library";
      popover.appendChild(open);
    }
  }
  link.insertAdjacentElement("afterend", popover);
  link.setAttribute("aria-expanded", "true");
  link.setAttribute("aria-controls", "cite-popover");
  anchor = link;
}

function setUpCitations() {
  document.querySelectorAll("a.cite").forEach((link) => {
    link.removeAttribute("title"); // the pop-over replaces the browser's tooltip
    link.setAttribute("aria-expanded", "false");
    link.addEventListener("click", (event) => {
      // a tap fires mouseenter then click, so a click opens (never toggles); close with ×, Esc or outside
      event.preventDefault();
      openPopover(link);
    });
    link.addEventListener("mouseenter", () => openPopover(link));
    link.addEventListener("focus", () => openPopover(link));
  });
  document.addEventListener("click", (event) => {
    if (popover && !popover.contains(event.target) && !event.target.closest("a.cite")) closePopover();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && anchor) {
      const link = anchor;
      closePopover();
      link.focus({ preventScroll: true });
      closePopover();
    }
  });
}

function setUpPrint() {
  document.querySelectorAll("[data-print]").forEach((button) => {
    button.addEventListener("click", () => window.print());
  });
}

document.addEventListener("DOMContentLoaded", () => {
  setUpForms();
  setUpCitations();
  setUpPrint();
});
