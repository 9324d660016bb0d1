// The Run control on example blocks. Served by `checker book` (the book
// server, parlab-book), a click runs the chapter's example on this machine
// and streams its output into the page, then its timelines; an edited block
// runs as edited; the page reloads when the book is edited and built again.
// Read with plain `mdbook serve`, the control says how to start the runner.
(function () {
  "use strict";
  var runner = window.PARLAB_RUNNER; // {token, examples, reload}, set by the book server
  if (runner && runner.reload && window.EventSource) {
    new EventSource("/api/reload").onmessage = function () { location.reload(); };
  }
  var page = location.pathname.split("/").pop().replace(/\.html$/, "");
  var number = (page.match(/^(\d\d)_/) || [])[1];
  // Chapter 13's example runs on MPI ranks, started by `mpirun` from a terminal (the chapter says how).
  var TERMINAL_ONLY = ["13"];
  if (!number || TERMINAL_ONLY.indexOf(number) >= 0) return;
  var example = runner ? runner.examples.find(function (e) { return e.slice(0, 3) === number + "_"; }) : null;
  if (runner && !example) return; // a chapter without an example
  var running = [];
  window.addEventListener("pagehide", function () { running.forEach(function (c) { c.abort(); }); });

  function button(label, title) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "parlab-run-" + label.toLowerCase();
    b.textContent = label;
    b.title = title;
    return b;
  }

  function controls(code) {
    var pre = code.parentElement;
    var original = code.textContent;
    var box = document.createElement("div");
    box.className = "parlab-run";
    var run = button("Run", "Run this chapter's example on this machine's CPUs");
    var edit = button("Edit", "Change the code, then Run runs your version");
    var reset = button("Reset", "Put the original code back");
    var out = document.createElement("pre");
    out.className = "parlab-run-output";
    out.hidden = true;
    var pictures = document.createElement("div");
    pictures.className = "parlab-run-pictures";
    box.append(run, edit, reset, out, pictures);
    pre.insertAdjacentElement("afterend", box);

    edit.addEventListener("click", function () {
      code.contentEditable = "true";
      code.spellcheck = false;
      code.focus();
    });
    reset.addEventListener("click", function () {
      code.textContent = original;
      code.contentEditable = "false";
      if (window.hljs && hljs.highlightBlock) hljs.highlightBlock(code);
    });
    run.addEventListener("click", function () {
      out.hidden = false;
      out.textContent = "";
      pictures.textContent = "";
      if (!runner) {
        out.textContent = "Running examples needs the runner, on your machine. In the project's folder:\n\n" +
          "    cargo run -p parlab-book -- --open\n\n" +
          "then read the book at the address it prints (http://127.0.0.1:3000/).";
        return;
      }
      var edited = code.textContent !== original;
      var body = { example: example, original: original };
      if (edited) body.code = code.textContent;
      var controller = new AbortController();
      running.push(controller);
      run.disabled = true;
      fetch("/api/run", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Parlab-Token": runner.token },
        body: JSON.stringify(body),
        signal: controller.signal
      }).then(function (response) {
        if (!response.ok) {
          return response.json().then(function (e) { show({ error: e.error || response.statusText }); });
        }
        return read(response.body.getReader());
      }).catch(function (e) {
        if (e.name !== "AbortError") show({ error: "the runner did not answer: " + e + " (is `checker book` still running?)" });
      }).finally(function () { run.disabled = false; });
    });

    function read(reader) {
      var decoder = new TextDecoder();
      var pending = "";
      function next() {
        return reader.read().then(function (chunk) {
          if (chunk.done) return;
          pending += decoder.decode(chunk.value, { stream: true });
          var lines = pending.split("\n");
          pending = lines.pop();
          lines.forEach(function (line) { if (line.trim()) show(JSON.parse(line)); });
          return next();
        });
      }
      return next();
    }

    function show(event) {
      if (event.out !== undefined) {
        out.textContent += event.out;
      } else if (event.status !== undefined) {
        out.dataset.status = event.status;
      } else if (event.error !== undefined) {
        out.classList.add("parlab-run-error");
        out.textContent += event.error + "\n";
      } else if (event.svg !== undefined) {
        // As an image: whatever an edited example writes, no script of it runs here.
        var img = document.createElement("img");
        img.alt = "timeline " + event.name;
        img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(event.svg);
        pictures.append(img);
      } else if (event.end !== undefined) {
        var done = document.createElement("div");
        done.className = "parlab-run-end";
        done.textContent = event.end + " in " + event.secs.toFixed(2) + " s, on this machine";
        pictures.append(done);
      }
    }
  }

  document.querySelectorAll("pre > code.language-rust").forEach(controls);
})();
