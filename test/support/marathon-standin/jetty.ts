// Jetty's error page: what HttpServletResponse.sendError(status, reason) answers (HTML, ISO-8859-1), used by
// Marathon's servlet filters (leader proxy, basic auth) and servlets (405 on /v2/events).

export const JETTY_HTML = 'text/html;charset=ISO-8859-1';

export function jettyError(status: number, reason: string, path: string): string {
  return `<html>
<head>
<meta http-equiv="Content-Type" content="text/html;charset=ISO-8859-1"/>
<title>Error ${status} ${reason}</title>
</head>
<body><h2>HTTP ERROR ${status}</h2>
<p>Problem accessing ${path}. Reason:
<pre>    ${reason}</pre></p><hr><a href="http://eclipse.org/jetty">Powered by Jetty:// 9.4.z-SNAPSHOT</a><hr/>

</body>
</html>
`;
}
