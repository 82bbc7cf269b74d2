// The entry page: fill the account pickers from the chosen kind. Optional: the form works
// without it. Served as a file (the Content-Security-Policy allows no inline script).
(function () {
  "use strict";
  var preset = document.getElementById("preset");
  var debit = document.getElementById("debit");
  var credit = document.getElementById("credit");
  if (!preset || !debit || !credit) return;
  function fill() {
    var o = preset.options[preset.selectedIndex];
    debit.value = o.dataset.debit;
    credit.value = o.dataset.credit;
  }
  preset.addEventListener("change", fill);
  if (!debit.value && !credit.value) fill();
})();
