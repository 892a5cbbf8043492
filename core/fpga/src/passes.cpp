// lutra::fpga — being written (issue 6).
