-- POST /items with a fixed JSON body; headers given with -H (e.g. auth) are kept.
wrk.method = "POST"
wrk.path = "/items"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"name":"bench item","description":"made by wrk","price":9.99,"tax":0.5,"tags":["bench"]}'
