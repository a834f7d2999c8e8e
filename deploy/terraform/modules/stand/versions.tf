# Pure logic, no provider: what differs between the stands (names, node pools, replica counts) and the rules
# they must follow. `tofu test` exercises it offline (tests/).
terraform {
  required_version = ">= 1.10.0"
}
