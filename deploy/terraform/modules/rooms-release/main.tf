# The rooms chart of this repository on the stand's cluster, with the Secret the values files name
# (rooms-<stand>: jwt-secret, postgres-dsn, redis-password).
resource "kubernetes_namespace_v1" "rooms" {
  metadata {
    name = var.namespace
    labels = {
      "app.kubernetes.io/part-of" = "rooms"
    }
  }
}

resource "kubernetes_secret_v1" "rooms" {
  metadata {
    name      = "rooms-${var.stand}"
    namespace = kubernetes_namespace_v1.rooms.metadata[0].name
  }
  data = merge(
    {
      "jwt-secret"   = var.jwt_secret
      "postgres-dsn" = var.postgres_dsn
    },
    var.redis_password == "" ? {} : { "redis-password" = var.redis_password },
  )
}

resource "helm_release" "rooms" {
  name      = "rooms"
  namespace = kubernetes_namespace_v1.rooms.metadata[0].name
  chart     = "${path.module}/../../../helm/rooms"

  values = [
    file("${path.module}/../../../helm/rooms/values-${var.stand}.yaml"),
    yamlencode(var.chart_values),
    yamlencode(var.image_tag == "" ? {} : { image = { tag = var.image_tag } }),
  ]

  # The hook Jobs (migrations, topics) and then every pod must be ready.
  wait    = true
  timeout = 900
  atomic  = true

  depends_on = [kubernetes_secret_v1.rooms]
}
