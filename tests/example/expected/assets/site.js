// Progressive enhancement only: every page works fully without this script.
"use strict";

// Copy buttons for feed addresses: shown only where the clipboard can be used.
document.querySelectorAll("button[data-copy]").forEach(function (button) {
  if (!navigator.clipboard) return;
  var field = document.getElementById(button.dataset.copy);
  var status = button.parentElement.querySelector(".copy-status");
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(field.value).then(function () {
      status.textContent = "Address copied.";
    }, function () {
      field.select();
      status.textContent = "Select the address and copy it.";
    });
  });
});
