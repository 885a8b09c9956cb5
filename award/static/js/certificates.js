// Batch printing: poll the job's JSON status while it runs, move the progress bar, and show the
// download button when the PDF is ready. No inline scripts: the CSP forbids them.
(() => {
  const box = document.querySelector("section.batch[data-status-url]");
  if (!box || box.dataset.state !== "running") return;
  const bar = box.querySelector(".batch-progress");
  const message = box.querySelector(".batch-message");
  const download = box.querySelector(".batch-download");
  const poll = async () => {
    let status;
    try {
      const response = await fetch(box.dataset.statusUrl, { credentials: "same-origin", cache: "no-store" });
      if (!response.ok) throw new Error(String(response.status));
      status = await response.json();
    } catch (error) {
      window.setTimeout(poll, 3000);  // a network hiccup: try again a little later
      return;
    }
    bar.max = status.total;
    bar.value = status.done;
    bar.textContent = `${status.percent}%`;
    message.textContent = status.message;
    box.dataset.state = status.state;
    if (status.state === "running") {
      window.setTimeout(poll, 700);
    } else if (status.state === "done" && status.download_url) {
      download.querySelector("a").href = status.download_url;
      download.hidden = false;
    }
  };
  window.setTimeout(poll, 300);
})();
