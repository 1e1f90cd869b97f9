import Hummingbird

/// The response shapes the routes share, with the headers every answer that
/// carries staff data needs (no caching, no MIME sniffing).
enum Responses {
    static func json(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        bytesResponse(bytes, status: status, contentType: "application/json; charset=utf-8")
    }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        json(JSONText.error(message), status: status)
    }

    static func text(_ text: String, status: HTTPResponse.Status = .ok,
                     contentType: String = "text/plain; charset=utf-8") -> Response {
        bytesResponse(Array(text.utf8), status: status, contentType: contentType)
    }

    static func html(_ html: String, status: HTTPResponse.Status = .ok) -> Response {
        var r = bytesResponse(Array(html.utf8), status: status, contentType: "text/html; charset=utf-8")
        // Inline script and style only; data only from this origin; never framed.
        r.headers[.contentSecurityPolicy] = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
            + "connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
        r.headers[.init("Referrer-Policy")!] = "no-referrer"
        return r
    }

    static func bytesResponse(_ bytes: [UInt8], status: HTTPResponse.Status, contentType: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.cacheControl] = "no-store"
        headers[.init("X-Content-Type-Options")!] = "nosniff"
        var buffer = ByteBuffer()
        buffer.writeBytes(bytes)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: buffer))
    }
}

