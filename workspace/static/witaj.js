// The workspace's few buttons that need a script, here rather than written inline: the
// Content-Security-Policy forbids inline scripts, so injected markup could not run any.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy], [data-print], [data-back]");
  if (!button) return;
  if (button.dataset.copy) {
    navigator.clipboard.writeText(document.getElementById(button.dataset.copy).value);
  } else if (button.hasAttribute("data-print")) {
    window.print();
  } else if (history.length > 1) {
    event.preventDefault();
    history.back();
  }
});
