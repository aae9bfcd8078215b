// Attaching a file in the composer (templates/_conversation.html).
// The file input has no name, so htmx's own requests (previews, notes, text replies) never
// carry it. When a file is attached, the send is taken over here: the composer's fields
// plus the file go as multipart to the form's upload URL, and the answer (the conversation
// pane, or the pane with the composer's error) is swapped in as htmx would.
(function () {
  "use strict";
  if (window.crossdeskComposerFiles) return;
  window.crossdeskComposerFiles = true;

  function humanSize(bytes) {
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(1) + " KB";
    return (bytes / (1024 * 1024)).toFixed(1) + " MB";
  }

  function parts(box) {
    return {
      input: box.querySelector(".composer-file-input"),
      chosen: box.querySelector(".composer-file-chosen"),
      name: box.querySelector(".composer-file-name"),
      size: box.querySelector(".composer-file-size"),
      error: box.querySelector(".composer-file-error"),
    };
  }

  function showError(box, message) {
    var p = parts(box);
    p.error.textContent = message || "";
    p.error.hidden = !message;
  }

  function show(box) {
    var p = parts(box);
    var file = p.input.files && p.input.files[0];
    p.chosen.hidden = !file;
    p.name.textContent = file ? file.name : "";
    p.size.textContent = file ? humanSize(file.size) : "";
    showError(box, "");
    // A file may go without a caption.
    var form = box.closest("form");
    var text = form && form.querySelector("textarea[name=text]");
    if (text) text.required = !file;
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement) || !input.classList.contains("composer-file-input")) return;
    show(input.closest(".composer-file"));
  });

  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element && event.target.closest(".composer-file-remove");
    if (!button) return;
    var box = button.closest(".composer-file");
    parts(box).input.value = "";
    show(box);
  });

  function swapConversation(html) {
    var target = document.getElementById("conversation");
    if (!target) return;
    if (window.htmx && typeof window.htmx.swap === "function") {
      window.htmx.swap(target, html, { swapStyle: "innerHTML" });
    } else {
      target.innerHTML = html;
      if (window.htmx) window.htmx.process(target);
    }
  }

  // Capture phase: runs before htmx's own submit handler on the form.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains("composer")) return;
    var box = form.querySelector(".composer-file");
    var input = box && parts(box).input;
    if (!input || !input.files || !input.files.length) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    var data = new FormData(form);
    data.append("file", input.files[0]);
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    fetch(box.dataset.uploadUrl, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRF-Token": document.body.dataset.csrf || "", "HX-Request": "true" },
    })
      .then(function (response) {
        return response.text().then(function (text) {
          if (response.ok || response.status === 422) {
            swapConversation(text);
            return;
          }
          buttons.forEach(function (b) { b.disabled = false; });
          showError(box, response.status === 413 ? box.dataset.tooLarge : box.dataset.failed);
        });
      })
      .catch(function () {
        buttons.forEach(function (b) { b.disabled = false; });
        showError(box, box.dataset.failed);
      });
  }, true);
})();
