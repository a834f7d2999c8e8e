variable "stand" {
  description = "Which stand: dev or prod (the root configuration passes its workspace's name)."
  type        = string

  validation {
    condition     = contains(["dev", "prod"], var.stand)
    error_message = "The stand must be dev or prod: select the workspace dev or prod (tofu workspace select -or-create prod)."
  }
}

variable "region" {
  description = "The cloud region of the stand's cluster, e.g. europe-west1."
  type        = string

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]$", var.region))
    error_message = "The region must look like europe-west1."
  }
}

variable "name_prefix" {
  description = "Prefix of every name (cluster, node pools, namespace)."
  type        = string
  default     = "rooms"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,19}[a-z0-9]$", var.name_prefix))
    error_message = "The name prefix must be 2-21 lower-case letters, digits or dashes, starting with a letter."
  }
}

variable "node_pool_overrides" {
  description = "Per pool (system, gateways, consumers), fields to change in the stand's sizing: machine_type, min_nodes, max_nodes, disk_gb."
  type = map(object({
    machine_type = optional(string)
    min_nodes    = optional(number)
    max_nodes    = optional(number)
    disk_gb      = optional(number)
  }))
  default = {}

  validation {
    condition     = alltrue([for k in keys(var.node_pool_overrides) : contains(["system", "gateways", "consumers"], k)])
    error_message = "Node pools are system, gateways and consumers."
  }
  validation {
    condition = alltrue([for p in values(var.node_pool_overrides) :
    (p.min_nodes == null || p.min_nodes >= 0) && (p.max_nodes == null || p.max_nodes >= 1) && (p.disk_gb == null || p.disk_gb >= 20)])
    error_message = "min_nodes must be >= 0, max_nodes >= 1 and disk_gb >= 20."
  }
}

variable "gateway_max_replicas" {
  description = "Most gateways the HPA may run (null: the stand's default)."
  type        = number
  default     = null
}
