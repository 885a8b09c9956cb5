// A background job's page (templates/jobs/progress.html): poll the job's JSON status while it is queued
// or running, move the progress bar, show the download when the result is ready, and reload the page when
// the job failed (the page shows why, with a button to try again). A job that leaves rows, not a file (a
// draw of panels), names the page that shows them: go there once it is done. No inline scripts: the CSP forbids them.
(() => {
  const box = document.querySelector("section.job[data-status-url]");
  const waiting = (state) => state === "queued" || state === "running";
  if (!box || !waiting(box.dataset.state)) return;
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
    if (status.total || status.state === "done") bar.value = status.percent;  // else it stays indeterminate
    bar.textContent = `${status.percent}%`;
    message.textContent = status.message;
    box.dataset.state = status.state;
    if (waiting(status.state)) {
      window.setTimeout(poll, 700);
    } else if (status.state === "done" && status.follow_url) {
      window.location.assign(status.follow_url);
    } else if (status.state === "done" && status.download_url) {
      download.querySelector("a").href = status.download_url;
      download.hidden = false;
    } else if (status.state === "failed") {
      window.location.reload();
    }
  };
  window.setTimeout(poll, 300);
})();
