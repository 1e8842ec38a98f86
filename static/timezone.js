// Tells the server the browser's time zone (an IANA name such as "America/Chicago") in the
// forms that log someone in, so that their times are shown in it from the first page.
document.addEventListener("DOMContentLoaded", function () {
  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
  document.querySelectorAll("input[name=browser_timezone]").forEach(function (input) { input.value = zone; });
});
