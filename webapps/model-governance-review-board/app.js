// The review board is rendered by the backend; this page only frames it at the
// backend's URL, which DSS gives through getWebAppBackendUrl.
/* global getWebAppBackendUrl */
(function () {
    "use strict";
    var frame = document.getElementById("mg-review-board-frame");
    frame.src = getWebAppBackendUrl("/");
})();
