"""The operations console: web pages under /console/ for platform admins and the partner
organisations' dispatchers (org admins). Routes in `safety.console.routes` (one module per
page); what each page shows is built by the modules here, from the features' services."""
