variable "stand" {
  description = "dev or prod: picks deploy/helm/rooms/values-<stand>.yaml."
  type        = string
}

variable "namespace" {
  description = "The namespace of the release (module stand: namespace)."
  type        = string
}

variable "chart_values" {
  description = "Values over values-<stand>.yaml (module stand: chart_values, plus anything else)."
  type        = any
  default     = {}
}

variable "image_tag" {
  description = "The rooms image tag (empty: the chart's appVersion)."
  type        = string
  default     = ""
}

variable "jwt_secret" {
  description = "HS256 key of the gateways, at least 32 bytes."
  type        = string
  sensitive   = true

  validation {
    condition     = length(var.jwt_secret) >= 32
    error_message = "The JWT key must be at least 32 bytes."
  }
}

variable "postgres_dsn" {
  description = "libpq URI of PostgreSQL, with its password."
  type        = string
  sensitive   = true

  validation {
    condition     = can(regex("^postgres(ql)?://", var.postgres_dsn))
    error_message = "The DSN must be a postgresql:// URI."
  }
}

variable "redis_password" {
  description = "Redis password (empty: none)."
  type        = string
  sensitive   = true
  default     = ""
}
