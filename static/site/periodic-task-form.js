// django-celery-beat's periodic task form (templates/admin/djcelery/): the crontab's help
// text gains the schedule in words. Moved out of the package's inline script, which the
// Content-Security-Policy would block.
(function () {
  "use strict";
  var $ = window.django && window.django.jQuery;
  var data = document.getElementById("readable-crontabs");
  if (!$ || !data) { return; }
  var readable = JSON.parse(data.textContent);
  var help = $(".field-crontab .help");
  var original = help.html();
  $(".field-crontab_translation").hide();
  $(".field-crontab").change(function () {
    var words = readable[$("#id_crontab").val()];
    help.html(original + "<br>Translation: ").append(document.createTextNode(words || ""));
  });
})();
